//! Why a push needs a fetch or failed: the core's reasons, with the stable
//! snake_case codes the CLI and the test vectors use.

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FetchReason {
    /// The push carries only the message id (privacy mode).
    IdOnly,
    /// An encrypted push without its ciphertext (servers up to 6.14).
    MissingCiphertext,
}

/// Why no notification could be made. `code()` gives the stable snake_case
/// name the CLI and the test vectors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FailureReason {
    MalformedPayload,
    UnknownServer,
    NoPrivateKey,
    NoRoomKey,
    BadCiphertext,
    BadAuthTag,
    BadPadding,
    BadPlaintext,
    UnsupportedAlgorithm,
    StoreError,
    NotLoggedIn,
    Unauthorized,
    NotFound,
    Network,
    Tls,
    Timeout,
    ServerError,
    BadResponse,
    /// A bug in pushseal (a caught panic); not from the core's outcomes.
    Internal,
}

#[uniffi::export]
impl FailureReason {
    pub fn code(&self) -> String {
        match self.core() {
            Some(reason) => reason.as_str().to_owned(),
            None => "internal".to_owned(),
        }
    }
}

impl FailureReason {
    fn core(self) -> Option<pushseal::FailureReason> {
        use pushseal::FailureReason as C;
        Some(match self {
            Self::MalformedPayload => C::MalformedPayload,
            Self::UnknownServer => C::UnknownServer,
            Self::NoPrivateKey => C::NoPrivateKey,
            Self::NoRoomKey => C::NoRoomKey,
            Self::BadCiphertext => C::BadCiphertext,
            Self::BadAuthTag => C::BadAuthTag,
            Self::BadPadding => C::BadPadding,
            Self::BadPlaintext => C::BadPlaintext,
            Self::UnsupportedAlgorithm => C::UnsupportedAlgorithm,
            Self::StoreError => C::StoreError,
            Self::NotLoggedIn => C::NotLoggedIn,
            Self::Unauthorized => C::Unauthorized,
            Self::NotFound => C::NotFound,
            Self::Network => C::Network,
            Self::Tls => C::Tls,
            Self::Timeout => C::Timeout,
            Self::ServerError => C::ServerError,
            Self::BadResponse => C::BadResponse,
            Self::Internal => return None,
        })
    }
}

impl From<pushseal::FailureReason> for FailureReason {
    fn from(reason: pushseal::FailureReason) -> Self {
        use pushseal::FailureReason as C;
        match reason {
            C::MalformedPayload => Self::MalformedPayload,
            C::UnknownServer => Self::UnknownServer,
            C::NoPrivateKey => Self::NoPrivateKey,
            C::NoRoomKey => Self::NoRoomKey,
            C::BadCiphertext => Self::BadCiphertext,
            C::BadAuthTag => Self::BadAuthTag,
            C::BadPadding => Self::BadPadding,
            C::BadPlaintext => Self::BadPlaintext,
            C::UnsupportedAlgorithm => Self::UnsupportedAlgorithm,
            C::StoreError => Self::StoreError,
            C::NotLoggedIn => Self::NotLoggedIn,
            C::Unauthorized => Self::Unauthorized,
            C::NotFound => Self::NotFound,
            C::Network => Self::Network,
            C::Tls => Self::Tls,
            C::Timeout => Self::Timeout,
            C::ServerError => Self::ServerError,
            C::BadResponse => Self::BadResponse,
        }
    }
}

impl From<pushseal::FetchReason> for FetchReason {
    fn from(reason: pushseal::FetchReason) -> Self {
        match reason {
            pushseal::FetchReason::IdOnly => Self::IdOnly,
            pushseal::FetchReason::MissingCiphertext => Self::MissingCiphertext,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_keep_the_core_code_both_ways() {
        use pushseal::FailureReason as C;
        for core in [
            C::BadAuthTag,
            C::NoRoomKey,
            C::Timeout,
            C::NotLoggedIn,
            C::BadResponse,
        ] {
            let ours = FailureReason::from(core);
            assert_eq!(ours.code(), core.as_str());
            assert_eq!(ours.core(), Some(core));
        }
        assert_eq!(FailureReason::Internal.code(), "internal");
    }
}
