//! One PipeWire stream of the screen cast, on a thread of its own: PipeWire
//! objects belong to the loop that made them. It asks for raw BGRx, BGRA,
//! RGBx or RGBA frames in shared memory (no DMA-BUF modifiers offered, so
//! the desktop copies into memory we can read), with the metadata that
//! says what changed and where the pointer is ([`super::meta`]), and puts
//! each picture in [`Latest`] for the capture thread.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::thread::JoinHandle;

use pipewire as pw;
use pw::spa;
use pw::spa::param::video::{VideoFormat, VideoInfoRaw};
use pw::spa::pod::Pod;
use pw::stream::{StreamFlags, StreamState};

use super::latest::Latest;
use super::meta::{ask_for_metadata, cursor_meta, damage_meta, read_cursor, read_damage};
use crate::media::capture::CaptureError;
use crate::media::damage::Rect;
use crate::media::frame::PixelOrder;

/// A running stream; dropping it stops the thread.
pub struct Receiver {
    pub latest: Arc<Latest>,
    stop: pw::channel::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Receiver {
    /// Connects to PipeWire through the portal's `remote` and receives
    /// `node`'s frames, a monitor whose top left corner is at `origin` on
    /// the desktop.
    pub fn start(remote: OwnedFd, node: u32, origin: (i32, i32)) -> Self {
        let latest = Arc::new(Latest::default());
        let (stop, stopped) = pw::channel::channel();
        let shared = Arc::clone(&latest);
        let thread = std::thread::Builder::new()
            .name("pipewire-screen".into())
            .spawn(move || {
                if let Err(error) = run(remote, node, origin, &shared, stopped) {
                    shared.end(CaptureError::Backend(format!("PipeWire: {error}")));
                }
            });
        let thread = match thread {
            Ok(thread) => Some(thread),
            Err(error) => {
                latest.end(CaptureError::Backend(format!(
                    "no PipeWire thread: {error}"
                )));
                None
            }
        };
        Self {
            latest,
            stop,
            thread,
        }
    }
}

/// What the stream's callbacks keep between calls.
#[derive(Default)]
struct Negotiated {
    size: (u32, u32),
    order: Option<PixelOrder>,
    /// The current buffer's damage, kept to reuse its allocation.
    damage: Vec<Rect>,
}

fn run(
    remote: OwnedFd,
    node: u32,
    origin: (i32, i32),
    latest: &Arc<Latest>,
    stopped: pw::channel::Receiver<()>,
) -> Result<(), pw::Error> {
    pw::init();
    let main_loop = pw::main_loop::MainLoopRc::new(None)?;
    let context = pw::context::ContextRc::new(&main_loop, None)?;
    let core = context.connect_fd_rc(remote, None)?;
    let quit = main_loop.clone();
    let _stop = stopped.attach(main_loop.loop_(), move |()| quit.quit());

    let stream = pw::stream::StreamBox::new(
        &core,
        "lifeline-screen",
        pw::properties::properties! {
            *pw::keys::MEDIA_TYPE => "Video",
            *pw::keys::MEDIA_CATEGORY => "Capture",
            *pw::keys::MEDIA_ROLE => "Screen",
        },
    )?;
    let on_state = Arc::clone(latest);
    let on_frame = Arc::clone(latest);
    let _listener = stream
        .add_local_listener_with_user_data(Negotiated::default())
        .state_changed(move |_, _, old, new| {
            tracing::debug!(?old, ?new, "screen cast stream");
            ended(&on_state, new);
        })
        .param_changed(|stream, negotiated, id, param| {
            if id == spa::param::ParamType::Format.as_raw()
                && let Some(param) = param
            {
                negotiate(negotiated, param);
                ask_for_metadata(stream);
            }
        })
        .process(move |stream, negotiated| take(stream, negotiated, origin, &on_frame))
        .register()?;

    // The metadata is asked for from the start too, not only once the
    // format is settled: mutter sends the pointer's image only when it
    // changes, and a buffer without room for it would lose it.
    let (formats, damage, cursor) = (formats(), damage_meta(), cursor_meta());
    let mut params: Vec<&Pod> = [&formats, &damage, &cursor]
        .into_iter()
        .filter_map(|bytes| Pod::from_bytes(bytes))
        .collect();
    stream.connect(
        spa::utils::Direction::Input,
        Some(node),
        StreamFlags::AUTOCONNECT | StreamFlags::MAP_BUFFERS | StreamFlags::DONT_RECONNECT,
        &mut params,
    )?;
    main_loop.run();
    Ok(())
}

/// A stream that will send no more pictures tells `latest` why.
fn ended(latest: &Latest, state: StreamState) {
    match state {
        StreamState::Error(error) => {
            latest.end(CaptureError::Backend(format!("the stream failed: {error}")))
        }
        // Stopped from the desktop (its indicator, or the portal gone).
        StreamState::Unconnected => latest.end(CaptureError::Stopped(
            "the desktop stopped sharing the screen".to_owned(),
        )),
        _ => {}
    }
}

/// Takes the stream's next buffer: the pointer to the cursor feed, the
/// picture and what changed in it to `latest`.
fn take(
    stream: &pw::stream::Stream,
    negotiated: &mut Negotiated,
    origin: (i32, i32),
    latest: &Latest,
) {
    let (Some(order), Some(mut buffer)) = (negotiated.order, stream.dequeue_buffer()) else {
        return;
    };
    let damaged = read_damage(&buffer, &mut negotiated.damage);
    read_cursor(&buffer, origin);
    let Some(data) = buffer.datas_mut().first_mut() else {
        return;
    };
    let chunk = data.chunk();
    let (offset, size) = (chunk.offset() as usize, chunk.size() as usize);
    let stride = usize::try_from(chunk.stride()).unwrap_or(0);
    if let Some(bytes) = data.data()
        && let Some(picture) = bytes.get(offset..offset.saturating_add(size))
    {
        let damage = damaged.then_some(negotiated.damage.as_slice());
        latest.put(picture, negotiated.size, stride, order, damage);
    }
}

/// The format PipeWire settled on: the size, and the pixel order if it is
/// one we read.
fn negotiate(negotiated: &mut Negotiated, param: &Pod) {
    let mut info = VideoInfoRaw::default();
    if info.parse(param).is_err() {
        return;
    }
    negotiated.size = (info.size().width, info.size().height);
    negotiated.order = match info.format() {
        VideoFormat::BGRx | VideoFormat::BGRA => Some(PixelOrder::Bgrx),
        VideoFormat::RGBx | VideoFormat::RGBA => Some(PixelOrder::Rgba),
        _ => None,
    };
    tracing::info!(format = ?info.format(), width = negotiated.size.0, height = negotiated.size.1, "screen cast format");
}

/// The formats asked for, serialized: raw video in one of the four
/// byte orders the pipeline converts, any size, any frame rate (the
/// desktop sends a frame when the screen changes: 0/1).
fn formats() -> Vec<u8> {
    use spa::param::format::{FormatProperties, MediaSubtype, MediaType};
    use spa::pod::{Value, property, serialize::PodSerializer};
    use spa::utils::{Fraction, Rectangle, SpaTypes};
    let object = spa::pod::object!(
        SpaTypes::ObjectParamFormat,
        spa::param::ParamType::EnumFormat,
        property!(FormatProperties::MediaType, Id, MediaType::Video),
        property!(FormatProperties::MediaSubtype, Id, MediaSubtype::Raw),
        property!(
            FormatProperties::VideoFormat,
            Choice,
            Enum,
            Id,
            VideoFormat::BGRx,
            VideoFormat::BGRx,
            VideoFormat::BGRA,
            VideoFormat::RGBx,
            VideoFormat::RGBA
        ),
        property!(
            FormatProperties::VideoSize,
            Choice,
            Range,
            Rectangle,
            Rectangle {
                width: 1920,
                height: 1080
            },
            Rectangle {
                width: 1,
                height: 1
            },
            Rectangle {
                width: 8192,
                height: 8192
            }
        ),
        property!(
            FormatProperties::VideoFramerate,
            Choice,
            Range,
            Fraction,
            Fraction { num: 0, denom: 1 },
            Fraction { num: 0, denom: 1 },
            Fraction { num: 240, denom: 1 }
        ),
    );
    PodSerializer::serialize(std::io::Cursor::new(Vec::new()), &Value::Object(object))
        .map(|(cursor, _)| cursor.into_inner())
        .unwrap_or_default()
}
