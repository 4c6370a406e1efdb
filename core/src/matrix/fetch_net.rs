//! Matrix fetch on receipt over the neutral authenticated GET of
//! [`crate::net`]: the access token as `Authorization: Bearer`, everything
//! under the caller's [`Deadline`]. The decisions are [`super::fetch_flow`]'s.

use std::time::Instant;

use url::Url;

use crate::matrix::fetch_flow::{drive, Answer, Backup, Fetched, Homeserver};
use crate::matrix::SessionStore;
use crate::net::{self, transient, Auth, Deadline, Http, Response, Verdict};
use crate::{Error, FailureReason, SecretString};

/// A Matrix event is at most 64 KiB; a backed-up session far less.
const BODY_LIMIT: usize = 96 * 1024;

/// One homeserver, one access token.
pub struct NetHomeserver<'a> {
    http: &'a Http,
    base: String,
    auth: Auth,
}

impl std::fmt::Debug for NetHomeserver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetHomeserver")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl<'a> NetHomeserver<'a> {
    pub fn new(http: &'a Http, homeserver: &str, token: SecretString) -> Self {
        Self {
            http,
            base: homeserver.trim_end_matches('/').to_owned(),
            auth: Auth::bearer(token),
        }
    }

    /// One GET of `<homeserver><path_and_query>`; net retries transport
    /// failures and 5xx, a 429 comes back for the flow to weigh.
    pub fn get_under(&self, path_and_query: &str, deadline: Deadline) -> Result<Response, Error> {
        let url = Url::parse(&format!("{}{path_and_query}", self.base))
            .map_err(|e| Error::MalformedPayload(format!("homeserver URL: {e}")))?;
        let steer = |r: &Response| match r.status {
            429 => Verdict::Accept,
            _ => transient(r),
        };
        net::block_on(async {
            let session = self.http.session()?;
            let get = session.get_steered(&url, &self.auth, BODY_LIMIT, deadline, &steer);
            net::within(deadline, get).await
        })?
    }
}

impl Homeserver for NetHomeserver<'_> {
    fn get(
        &mut self,
        path_and_query: &str,
        deadline: Instant,
    ) -> Result<Answer, (FailureReason, String)> {
        match self.get_under(path_and_query, Deadline::at(deadline)) {
            Ok(r) => Ok(Answer {
                status: r.status,
                body: r.body,
                retry_after: r.retry_after,
            }),
            Err(e) => Err((FailureReason::from(&e), e.to_string())),
        }
    }
}

/// Decrypts a Matrix push, fetching the event and a missing session from
/// `homeserver` when needed, all within `deadline`.
pub fn fetch_and_decrypt(
    http: &Http,
    homeserver: &str,
    token: SecretString,
    push: &[u8],
    store: &mut impl SessionStore,
    backup: Option<Backup>,
    deadline: Deadline,
) -> Fetched {
    let mut server = NetHomeserver::new(http, homeserver, token);
    drive(push, store, backup, &mut server, deadline.instant())
}
