//! Expert mode: this computer's own clipboard, for copying from the
//! command shell's terminal (WebKitGTK has no copy key of its own there;
//! its Ctrl+Shift+V already pastes). One owner thread for the app's life,
//! made on first use: on X11, what is copied lives as long as its owner.

use std::sync::{Arc, OnceLock};

use tauri::State;

use crate::clipboard::content::ClipContent;
use crate::clipboard::owner::ClipboardOwner;
use crate::clipboard::system::SystemClipboard;

#[derive(Debug, Default)]
pub struct LocalClipboard(OnceLock<ClipboardOwner>);

/// Puts `text` on this computer's clipboard.
#[tauri::command]
pub fn local_clipboard_write(clipboard: State<'_, LocalClipboard>, text: String) {
    if text.is_empty() {
        return;
    }
    clipboard
        .0
        .get_or_init(|| ClipboardOwner::start(Arc::new(SystemClipboard::boxed)))
        .set(ClipContent::Text(text));
}
