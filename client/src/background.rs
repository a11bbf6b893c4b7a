//! The client's background runtimes: each one thread of its own, made on first use, so that
//! what runs there (a Stream socket, Redis commands) goes on whether or not a host thread is
//! inside the plugin.

use std::sync::OnceLock;

use tokio::runtime::Runtime;

use crate::error::{Error, Result};

/// A runtime made once in `cell`: one worker thread called `name`; `what` names it in the
/// error when it cannot start.
pub(crate) fn runtime(
    cell: &'static OnceLock<std::result::Result<Runtime, String>>,
    name: &str,
    what: &str,
) -> Result<&'static Runtime> {
    cell.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::Internal(format!("cannot start the {what} runtime: {e}")))
}
