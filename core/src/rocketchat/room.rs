//! Rocket.Chat's one-letter room types (`t` in a room, `type` in a push),
//! mapped onto the neutral [`RoomKind`].

use crate::RoomKind;

/// The kind for a room type code; an unknown code is kept as `Other`.
pub fn room_kind(code: &str) -> RoomKind {
    match code {
        "d" => RoomKind::Direct,
        "p" => RoomKind::PrivateGroup,
        "c" => RoomKind::PublicChannel,
        "l" => RoomKind::Omnichannel,
        other => RoomKind::Other(other.to_owned()),
    }
}

/// The room type code Rocket.Chat uses for `kind`: the inverse of
/// [`room_kind`].
pub fn room_type_code(kind: &RoomKind) -> &str {
    match kind {
        RoomKind::Direct => "d",
        RoomKind::PrivateGroup => "p",
        RoomKind::PublicChannel => "c",
        RoomKind::Omnichannel => "l",
        RoomKind::Other(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in ["d", "p", "c", "l", "v", ""] {
            assert_eq!(room_type_code(&room_kind(code)), code);
        }
        assert_eq!(room_kind("d"), RoomKind::Direct);
        assert_eq!(room_kind("v"), RoomKind::Other("v".into()));
    }
}
