//! The metadata asked for with each PipeWire buffer of the screen cast,
//! and read from it: the video damage (what changed in the picture) and
//! the cursor (where the pointer is and, when it changed, its image).

use pipewire as pw;
use pw::spa;
use pw::spa::pod::Pod;

use crate::media::damage::Rect;

/// The most damage rectangles asked for in one buffer; the desktop merges
/// the rest into the last.
const DAMAGE_RECTS: i32 = 16;
/// The largest pointer image asked for, in pixels a side.
const CURSOR_SIDE: usize = 1024;

/// Asks for the metadata that says what changed in each buffer (video
/// damage) and where the pointer is (cursor, when the cast keeps it apart
/// from the picture). A desktop without them sends buffers without them:
/// those are taken whole, and the pointer is in the picture.
pub fn ask_for_metadata(stream: &pw::stream::Stream) {
    let metas = [damage_meta(), cursor_meta()];
    let mut params: Vec<&Pod> = metas.iter().filter_map(|m| Pod::from_bytes(m)).collect();
    if let Err(error) = stream.update_params(&mut params) {
        tracing::debug!(%error, "the screen cast's metadata was not asked for");
    }
}

/// The pointer in the buffer's cursor metadata, to the process's feed: its
/// place on the desktop, and its image when the buffer carries one.
pub fn read_cursor(buffer: &pw::buffer::Buffer, origin: (i32, i32)) {
    use spa::buffer::meta::MetaCursor;
    let Some(cursor) = buffer.find_meta::<MetaCursor>() else {
        return;
    };
    if !cursor.is_valid() {
        return;
    }
    let at = cursor.position();
    let shape = cursor
        .bitmap()
        .and_then(|bitmap| super::cursor_image::from_bitmap(bitmap, cursor.hotspot()));
    super::cursor::feed().report((origin.0 + at.x, origin.1 + at.y), shape);
}

/// The buffer's damage rectangles into `into`; `false` when the buffer has
/// none (the desktop did not say what changed).
pub fn read_damage(buffer: &pw::buffer::Buffer, into: &mut Vec<Rect>) -> bool {
    use spa::buffer::meta::MetaVideoDamage;
    into.clear();
    let Some(damage) = buffer.find_meta::<MetaVideoDamage>() else {
        return false;
    };
    into.extend(damage.iter().map(|region| {
        let (at, size) = (region.position(), region.size());
        Rect::new(at.x, at.y, size.width, size.height)
    }));
    !into.is_empty()
}

/// The metadata parameter for video damage: room for up to
/// [`DAMAGE_RECTS`] rectangles a buffer.
pub fn damage_meta() -> Vec<u8> {
    let region = std::mem::size_of::<spa::sys::spa_meta_region>() as i32;
    meta_param(
        spa::sys::SPA_META_VideoDamage,
        region * DAMAGE_RECTS,
        region,
        region * DAMAGE_RECTS,
    )
}

/// A buffer metadata parameter of type `meta`, serialized: its size in
/// bytes between `min` and `max`.
fn meta_param(meta: u32, default: i32, min: i32, max: i32) -> Vec<u8> {
    use spa::pod::{ChoiceValue, Object, Property, Value, serialize::PodSerializer};
    use spa::utils::{Choice, ChoiceEnum, ChoiceFlags, Id, SpaTypes};
    let object = Object {
        type_: SpaTypes::ObjectParamMeta.as_raw(),
        id: spa::param::ParamType::Meta.as_raw(),
        properties: vec![
            Property::new(spa::sys::SPA_PARAM_META_type, Value::Id(Id(meta))),
            Property::new(
                spa::sys::SPA_PARAM_META_size,
                Value::Choice(ChoiceValue::Int(Choice(
                    ChoiceFlags::empty(),
                    ChoiceEnum::Range { default, min, max },
                ))),
            ),
        ],
    };
    PodSerializer::serialize(std::io::Cursor::new(Vec::new()), &Value::Object(object))
        .map(|(cursor, _)| cursor.into_inner())
        .unwrap_or_default()
}

/// The metadata parameter for the pointer: room for its place and an
/// image of up to [`CURSOR_SIDE`]² pixels.
pub fn cursor_meta() -> Vec<u8> {
    let fixed = std::mem::size_of::<spa::sys::spa_meta_cursor>()
        + std::mem::size_of::<spa::sys::spa_meta_bitmap>();
    let size = |side: usize| (fixed + side * side * 4) as i32;
    meta_param(
        spa::sys::SPA_META_Cursor,
        size(64),
        size(1),
        size(CURSOR_SIDE),
    )
}
