//! What a notification shows for a Matrix message.

use crate::matrix::push::{Content, Push};
use crate::{FALLBACK_BODY_NEW, FALLBACK_TITLE};

const MEDIA: [&str; 4] = ["m.image", "m.file", "m.audio", "m.video"];

/// The push's `room_name`, else `sender_display_name`, else the name the
/// store knows for the room, else "New message".
pub(crate) fn title(push: &Push<'_>, known_room_name: Option<String>) -> String {
    push.room_name
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .or_else(|| {
            push.sender_display_name
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
        })
        .or(known_room_name.filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| FALLBACK_TITLE.to_owned())
}

/// The body text: never cut, `formatted_body` ignored, never empty.
/// `edit` is true when the cleartext relation is `m.replace`.
pub(crate) fn body(push: &Push<'_>, content: &Content<'_>, edit: bool) -> String {
    let content = match (&content.new_content, edit) {
        (Some(new), true) => new,
        _ => content,
    };
    let text = content.body.as_deref().unwrap_or("");
    let shown = match content.msgtype.as_deref() {
        Some("m.emote") => {
            let who = push
                .sender_display_name
                .as_deref()
                .or(push.sender.as_deref())
                .unwrap_or("Someone");
            format!("* {who} {text}")
        }
        Some(kind) if MEDIA.contains(&kind) => match content.filename.as_deref() {
            Some(name) if name != text && !text.trim().is_empty() => text.to_owned(),
            _ => format!("📎 {text}"),
        },
        _ => text.to_owned(),
    };
    if text.trim().is_empty() {
        return FALLBACK_BODY_NEW.to_owned();
    }
    shown
}
