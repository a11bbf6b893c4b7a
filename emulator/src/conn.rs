//! The emulator's TCP connections: counted as they are accepted, and, when the idle-closing
//! fault is on, closed by the server once they have sat idle between requests for a while,
//! as a server with a short keep-alive timeout does.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::futures::OwnedNotified;
use tokio::time::{Instant, Sleep};

use crate::state::Shared;
use crate::stats::Counters;

/// The listener the server accepts from: counts connections, sets `TCP_NODELAY`, and wraps
/// each in an [`IdleClosing`].
pub(crate) struct Counted {
    pub(crate) inner: TcpListener,
    pub(crate) state: Arc<Shared>,
}

impl axum::serve::Listener for Counted {
    type Io = IdleClosing;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (tcp, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        let _ = tcp.set_nodelay(true);
        Counters::bump(&self.state.counters.connections, 1);
        let changed = self.state.idle_close.on_change();
        (
            IdleClosing {
                tcp,
                state: self.state.clone(),
                last_write: None,
                busy: false,
                timer: None,
                changed,
                ended: false,
                counted: false,
                reader: None,
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that ends itself (the server reads end-of-stream, so it closes the socket,
/// sending FIN) once it has been idle for the [`crate::idle::IdleClose`] time: no request bytes since the
/// last answer's bytes were written, for that long. Only a keep-alive connection, one that
/// has answered a request: a new one waits for its first request as long as it takes.
///
/// Never mid-request: a connection is busy from its first request byte until answer bytes
/// are written. And never with a request waiting: when the time is up, the socket is read
/// first, and a request already there is served. So a request is only lost to this fault
/// when it crosses the close on the wire, as with any server's keep-alive timeout.
pub(crate) struct IdleClosing {
    tcp: TcpStream,
    state: Arc<Shared>,
    /// When answer bytes were last written; `None` before the first answer.
    last_write: Option<Instant>,
    /// Request bytes came in since the last write.
    busy: bool,
    timer: Option<Pin<Box<Sleep>>>,
    /// Wakes the connection when the idle time is changed.
    changed: Pin<Box<OwnedNotified>>,
    /// It was ended for idling: end of stream from now on.
    ended: bool,
    /// Its close for idling was counted.
    counted: bool,
    /// The reader to wake when an answer ends a busy spell, so that it starts the idle clock
    /// (the server may not read again on its own before the client writes).
    reader: Option<std::task::Waker>,
}

impl AsyncRead for IdleClosing {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.tcp).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.busy = true;
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        // Be woken by a change of the idle time, from now on.
        while this.changed.as_mut().poll(cx).is_ready() {
            this.changed = this.state.idle_close.on_change();
        }
        let (Some(after), Some(last_write), false) = (this.state.idle_close.get(), this.last_write, this.busy) else {
            this.reader = Some(cx.waker().clone());
            return Poll::Pending;
        };
        let deadline = last_write + after;
        if Instant::now() >= deadline {
            // Nothing to read, idle long enough: end of stream, and the server closes.
            this.timer = None;
            this.ended = true;
            return Poll::Ready(Ok(()));
        }
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_ready() {
            // Woken at the deadline: let the server read again, and find the time up.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl IdleClosing {
    /// Answer bytes went out: the connection is idle from now, until request bytes come.
    fn wrote(&mut self) {
        self.last_write = Some(Instant::now());
        if std::mem::replace(&mut self.busy, false)
            && let Some(reader) = self.reader.take()
        {
            reader.wake();
        }
    }
}

impl AsyncWrite for IdleClosing {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let out = Pin::new(&mut this.tcp).poll_write(cx, data);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote();
        }
        out
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let out = Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote();
        }
        out
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let out = Pin::new(&mut this.tcp).poll_shutdown(cx);
        if out.is_ready() && this.ended && !std::mem::replace(&mut this.counted, true) {
            // Counted once the FIN is out, so that a test waiting for the count knows the
            // client can see the close.
            Counters::bump(&this.state.counters.idle_closed, 1);
        }
        out
    }
}

/// The peer's address, as the handlers see it (the custom robots' IP allow-list).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub(crate) SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Counted>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Counted>) -> Self {
        Peer(*stream.remote_addr())
    }
}
