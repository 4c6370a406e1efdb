//! Fetch on receipt for one Matrix push, as a small state machine with no
//! I/O: offline first; then at most one event GET (an id-only push, or one
//! whose ciphertext did not fit) and at most one key-backup GET for a
//! missing session. The caller performs each [`Step::Get`] and feeds the
//! answer back; [`drive`] does that loop over a [`Homeserver`].

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::matrix::backup::{BackupKey, KeyBackupData};
use crate::matrix::fetch::{check_answer, retry_wait, AnswerError, Request};
use crate::matrix::{decrypt_fetched, decrypt_push, parse_push, Layered, MemoryStore};
use crate::matrix::{RoomSession, SessionStore};
use crate::{Context, Failure, FailureReason, Outcome, Protocol};
use crate::{FALLBACK_BODY_ENCRYPTED, FALLBACK_BODY_NEW, FALLBACK_TITLE};

/// A 429 without a wait is retried after this long (if the deadline allows).
const RATE_LIMIT_FALLBACK: Duration = Duration::from_millis(500);
/// Retries of one rate-limited request.
const MAX_RATE_LIMIT_RETRIES: u8 = 2;

/// The unlocked key backup: its key and the version it belongs to.
#[derive(Debug, Clone)]
pub struct Backup {
    pub key: BackupKey,
    pub version: String,
}

/// What the flow asks the caller to do next.
#[derive(Debug)]
pub enum Step {
    /// Perform this GET, after waiting `after` (non-zero only to honour a
    /// rate limit), and call [`Fetch::answer`] or [`Fetch::failed`].
    Get { request: Request, after: Duration },
    /// The push is handled.
    Done(Box<Fetched>),
}

/// The end of one push's fetch.
#[derive(Debug)]
pub struct Fetched {
    pub outcome: Outcome,
    /// An event was obtained from the server.
    pub fetched: bool,
    /// A session was obtained from the key backup.
    pub room_key_fetched: bool,
    /// That session, for a writable store to keep (subject to the
    /// lower-first-index rule); a read-only store drops it.
    pub session: Option<RoomSession>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Event,
    Backup,
    Done,
}

/// One push's fetch in progress.
pub struct Fetch {
    push: Zeroizing<Vec<u8>>,
    event: Option<Zeroizing<Vec<u8>>>,
    backup: Option<Backup>,
    stage: Stage,
    pending: Option<Request>,
    retries: u8,
    last: Option<Outcome>,
    asked_event: bool,
    asked_backup: bool,
    room_key_fetched: bool,
}

impl std::fmt::Debug for Fetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetch")
            .field("stage", &self.stage)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl Fetch {
    /// A fetch for `push`; `backup` when the key backup is unlocked.
    pub fn new(push: &[u8], backup: Option<Backup>) -> Self {
        Self {
            push: Zeroizing::new(push.to_vec()),
            event: None,
            backup,
            stage: Stage::Start,
            pending: None,
            retries: 0,
            last: None,
            asked_event: false,
            asked_backup: false,
            room_key_fetched: false,
        }
    }

    /// Decrypts offline and says what, if anything, to fetch.
    pub fn start(&mut self, store: &mut impl SessionStore) -> Step {
        let outcome = decrypt_push(&self.push, store);
        self.next(outcome)
    }

    /// The answer to the pending GET. `remaining` is the time left before
    /// the caller's deadline; a rate limit is waited out only within it.
    pub fn answer(
        &mut self,
        store: &mut impl SessionStore,
        status: u16,
        body: &[u8],
        retry_after_header: Option<Duration>,
        remaining: Duration,
    ) -> Step {
        let Some(request) = self.pending.clone() else {
            return self.finish_last();
        };
        match check_answer(status, body, retry_after_header) {
            Ok(()) => {
                self.pending = None;
                self.retries = 0;
                match self.stage {
                    Stage::Event => self.on_event(store, body),
                    Stage::Backup => self.on_backup(store, &request, body),
                    Stage::Start | Stage::Done => self.finish_last(),
                }
            }
            Err(AnswerError::RateLimited { retry_after }) => {
                let wait = retry_wait(retry_after, RATE_LIMIT_FALLBACK, remaining);
                match wait {
                    Some(after) if self.retries < MAX_RATE_LIMIT_RETRIES => {
                        self.retries += 1;
                        Step::Get { request, after }
                    }
                    _ => {
                        let e = AnswerError::RateLimited { retry_after };
                        let detail = format!("{}, beyond the deadline", e.detail());
                        self.fail(e.reason(), detail)
                    }
                }
            }
            // The backup has no copy of the session: it is simply missing.
            Err(AnswerError::NotFound) if self.stage == Stage::Backup => self.finish_last(),
            Err(e) => self.fail(e.reason(), e.detail()),
        }
    }

    /// The pending GET failed without an answer (`timeout`, `network`,
    /// `tls`, …), as the transport classified it.
    pub fn failed(&mut self, reason: FailureReason, detail: impl Into<String>) -> Step {
        self.fail(reason, detail.into())
    }

    fn on_event(&mut self, store: &mut impl SessionStore, body: &[u8]) -> Step {
        let outcome = match parse_push(&self.push) {
            Ok(push) => decrypt_fetched(&push, body, store),
            Err(e) => return self.fail(FailureReason::MalformedPayload, e.to_string()),
        };
        self.event = Some(Zeroizing::new(body.to_vec()));
        if matches!(outcome, Outcome::NeedsFetch(_)) {
            let detail = "the fetched event carries no ciphertext";
            return self.fail(FailureReason::BadResponse, detail.into());
        }
        self.next(outcome)
    }

    fn on_backup(&mut self, store: &mut impl SessionStore, request: &Request, body: &[u8]) -> Step {
        let (
            Request::BackupSession {
                room_id,
                session_id,
                ..
            },
            Some(backup),
        ) = (request, &self.backup)
        else {
            return self.finish_last();
        };
        let data: KeyBackupData = match serde_json::from_slice(body) {
            Ok(d) => d,
            Err(_) => {
                let detail = "the key backup answered something else than KeyBackupData";
                return self.fail(FailureReason::BadResponse, detail.into());
            }
        };
        // The backup is unauthenticated: decrypt_session checks padding,
        // JSON, algorithm and that this is the session asked for.
        let session = match backup.key.decrypt_session(room_id, session_id, &data) {
            Ok(s) => s,
            Err(e) => {
                let detail = format!("the key backup's copy was refused: {}", e.code());
                return self.fail(FailureReason::BadResponse, detail);
            }
        };
        self.room_key_fetched = true;
        let keep = RoomSession::from_export_string(room_id, &session.export_string()).ok();
        let keep = keep.map(|mut k| {
            k.sender_key.clone_from(&session.sender_key);
            k.forwarded = session.forwarded;
            k
        });
        let mut extra = MemoryStore::new();
        extra.add(session);
        let mut layered = Layered {
            extra: &mut extra,
            base: store,
        };
        let outcome = match (&self.event, parse_push(&self.push)) {
            (Some(event), Ok(push)) => decrypt_fetched(&push, event, &mut layered),
            (None, Ok(push)) => crate::matrix::decrypt_parsed(&push, &mut layered),
            (_, Err(e)) => return self.fail(FailureReason::MalformedPayload, e.to_string()),
        };
        self.stage = Stage::Done;
        self.done(outcome, keep)
    }

    /// After an outcome: fetch what can still help, or finish.
    fn next(&mut self, outcome: Outcome) -> Step {
        let request = match &outcome {
            Outcome::NeedsFetch(f) if !self.asked_event => {
                match (&f.context.room_id, &f.context.message_id) {
                    (Some(room_id), Some(event_id)) => {
                        self.asked_event = true;
                        self.stage = Stage::Event;
                        Some(Request::Event {
                            room_id: room_id.clone(),
                            event_id: event_id.clone(),
                        })
                    }
                    _ => None,
                }
            }
            Outcome::Failed(f)
                if matches!(
                    f.reason,
                    FailureReason::NoRoomKey | FailureReason::UnknownMessageIndex
                ) && !self.asked_backup =>
            {
                match (&self.backup, &f.context.room_id, &f.key_id) {
                    (Some(b), Some(room_id), Some(session_id)) => {
                        self.asked_backup = true;
                        self.stage = Stage::Backup;
                        Some(Request::BackupSession {
                            room_id: room_id.clone(),
                            session_id: session_id.clone(),
                            version: b.version.clone(),
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        self.last = Some(outcome);
        match request {
            Some(request) => {
                self.pending = Some(request.clone());
                Step::Get {
                    request,
                    after: Duration::ZERO,
                }
            }
            None => self.finish_last(),
        }
    }

    fn finish_last(&mut self) -> Step {
        self.stage = Stage::Done;
        self.pending = None;
        let outcome = self.last.take().unwrap_or_else(|| {
            failed_with(
                Context::default(),
                FALLBACK_TITLE.into(),
                None,
                FailureReason::Internal,
                "fetch finished twice".into(),
                FALLBACK_BODY_NEW,
            )
        });
        self.done(outcome, None)
    }

    /// A failure that names the push's room, event and session, keeping the
    /// push's own names for the title.
    fn fail(&mut self, reason: FailureReason, detail: String) -> Step {
        self.stage = Stage::Done;
        self.pending = None;
        let last = self.last.take();
        let (context, title, key_id) = match &last {
            Some(Outcome::Failed(f)) => (
                f.context.clone(),
                f.fallback_title.clone(),
                f.key_id.clone(),
            ),
            Some(o) => (o.context().clone(), o.display().0.to_owned(), None),
            None => (Context::default(), FALLBACK_TITLE.to_owned(), None),
        };
        let title = match parse_push(&self.push) {
            Ok(p) => p
                .room_name
                .as_deref()
                .or(p.sender_display_name.as_deref())
                .map(str::to_owned)
                .unwrap_or(title),
            Err(_) => title,
        };
        // Without the event nothing says it was encrypted.
        let body = if self.event.is_some() || key_id.is_some() {
            FALLBACK_BODY_ENCRYPTED
        } else {
            FALLBACK_BODY_NEW
        };
        let outcome = failed_with(context, title, key_id, reason, detail, body);
        self.done(outcome, None)
    }

    fn done(&mut self, outcome: Outcome, session: Option<RoomSession>) -> Step {
        Step::Done(Box::new(Fetched {
            outcome,
            fetched: self.event.is_some(),
            room_key_fetched: self.room_key_fetched,
            session,
        }))
    }
}

fn failed_with(
    context: Context,
    title: String,
    key_id: Option<String>,
    reason: FailureReason,
    detail: String,
    body: &str,
) -> Outcome {
    Outcome::Failed(Failure {
        protocol: Protocol::Matrix,
        reason,
        detail,
        context,
        key_id,
        fallback_title: title,
        fallback_body: body.to_owned(),
    })
}

/// A homeserver answer, as the transport read it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
    /// A parsed `Retry-After` header, if any.
    pub retry_after: Option<Duration>,
}

/// How the caller performs one authenticated GET: the access token as
/// `Authorization: Bearer`, the whole attempt bounded by `deadline`.
pub trait Homeserver {
    /// GET `<homeserver><path_and_query>`; a transport failure comes back as
    /// its reason (`timeout`, `network`, `tls`, …) and a secret-free detail.
    fn get(
        &mut self,
        path_and_query: &str,
        deadline: Instant,
    ) -> Result<Answer, (FailureReason, String)>;

    /// Waits out a rate limit (a test may shorten or record it).
    fn wait(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Runs the whole flow for one push under `deadline`.
pub fn drive(
    push: &[u8],
    store: &mut impl SessionStore,
    backup: Option<Backup>,
    server: &mut impl Homeserver,
    deadline: Instant,
) -> Fetched {
    let mut fetch = Fetch::new(push, backup);
    let mut step = fetch.start(store);
    loop {
        match step {
            Step::Done(done) => return *done,
            Step::Get { request, after } => {
                if !after.is_zero() {
                    server.wait(after);
                }
                if Instant::now() >= deadline {
                    step = fetch.failed(FailureReason::Timeout, "the deadline passed");
                    continue;
                }
                step = match server.get(&request.path_and_query(), deadline) {
                    Ok(a) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        fetch.answer(store, a.status, &a.body, a.retry_after, left)
                    }
                    Err((reason, detail)) => fetch.failed(reason, detail),
                };
            }
        }
    }
}
