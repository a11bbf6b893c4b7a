//! `host-sim studio`'s connections under abuse: a half-sent request header, a kept-alive
//! connection left idle and a request body that stops arriving are closed after their
//! timeouts, and connections past the cap wait until one closes. The studio runs in this
//! process (with the echo fixture plugin) so that the tests can make its limits short.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::fixture;
use host_sim::studio::{ConnectionLimits, Studio, StudioOptions};

/// The studio on the echo fixture, without the emulator, within `limits`.
fn studio(limits: ConnectionLimits) -> Studio {
    let plugin = host_sim::load(&fixture("echo_plugin")).expect("the echo fixture loads");
    Studio::start(plugin, StudioOptions { emulator: false, limits, ..StudioOptions::default() }).expect("starts")
}

/// A connection whose reads give up after `wait`.
fn connect(studio: &Studio, wait: Duration) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", studio.port())).expect("connects");
    stream.set_read_timeout(Some(wait)).expect("read timeout");
    stream
}

/// A whole `GET /` that keeps its connection open.
fn get(studio: &Studio) -> String {
    format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", studio.port())
}

/// What a read sees: bytes, the end of the connection (closed or reset), or nothing yet.
#[derive(Debug, PartialEq)]
enum Read1 {
    Bytes,
    Closed,
    Nothing,
}

fn read_once(stream: &mut TcpStream) -> Read1 {
    let mut buf = [0u8; 65536];
    match stream.read(&mut buf) {
        Ok(0) => Read1::Closed,
        Ok(_) => Read1::Bytes,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Read1::Nothing,
        Err(_) => Read1::Closed,
    }
}

/// Reads until the server closes the connection, and says how long that took; panics if
/// it does not within `within`.
fn closed_after(stream: &mut TcpStream, within: Duration) -> Duration {
    let started = Instant::now();
    stream.set_read_timeout(Some(within)).unwrap();
    loop {
        match read_once(stream) {
            Read1::Closed => return started.elapsed(),
            Read1::Bytes if started.elapsed() < within => continue,
            other => panic!("the server did not close the connection within {within:?} ({other:?})"),
        }
    }
}

/// The limits of these tests: a short header and idle timeout, and a given cap.
fn limits(timeout: Duration, max_connections: usize) -> ConnectionLimits {
    ConnectionLimits { header_timeout: timeout, idle_timeout: timeout, max_connections }
}

#[test]
fn a_half_sent_header_is_closed_after_the_header_timeout() {
    let timeout = Duration::from_millis(800);
    let studio = studio(limits(timeout, 8));
    let mut stream = connect(&studio, Duration::from_secs(30));
    let whole = get(&studio);
    stream.write_all(&whole.as_bytes()[..whole.len() - 2]).unwrap();
    let waited = closed_after(&mut stream, Duration::from_secs(30));
    assert!(waited >= timeout - Duration::from_millis(100), "closed after {waited:?}, before the timeout");

    // Nothing sent at all: the same.
    let mut silent = connect(&studio, Duration::from_secs(30));
    let waited = closed_after(&mut silent, Duration::from_secs(30));
    assert!(waited >= timeout - Duration::from_millis(100), "closed after {waited:?}, before the timeout");

    // The server still answers.
    let mut stream = connect(&studio, Duration::from_secs(30));
    stream.write_all(get(&studio).as_bytes()).unwrap();
    assert_eq!(read_once(&mut stream), Read1::Bytes);
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let timeout = Duration::from_millis(800);
    let studio = studio(limits(timeout, 8));
    let mut stream = connect(&studio, Duration::from_secs(30));
    stream.write_all(get(&studio).as_bytes()).unwrap();
    assert_eq!(read_once(&mut stream), Read1::Bytes, "the page");
    let waited = closed_after(&mut stream, Duration::from_secs(30));
    assert!(waited >= timeout - Duration::from_millis(100), "closed after {waited:?}, before the timeout");
}

#[test]
fn a_body_that_stops_arriving_ends_its_request() {
    let timeout = Duration::from_millis(800);
    let studio = studio(limits(timeout, 8));
    let port = studio.port();
    let mut stream = connect(&studio, Duration::from_secs(30));
    let head = format!(
        "POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"steps\": ["
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let waited = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(waited < Duration::from_secs(30), "the server waited for the body's end");
    assert!(waited >= timeout - Duration::from_millis(100), "ended after {waited:?}, before the timeout");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
}

#[test]
fn connections_past_the_cap_wait_until_one_closes() {
    let studio = studio(limits(Duration::from_secs(60), 2));
    // Two kept-alive connections, each answered once: both hold a place.
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = connect(&studio, Duration::from_secs(30));
            stream.write_all(get(&studio).as_bytes()).unwrap();
            assert_eq!(read_once(&mut stream), Read1::Bytes);
            stream
        })
        .collect();

    // A third is not answered while they are open...
    let mut third = connect(&studio, Duration::from_secs(2));
    third.write_all(get(&studio).as_bytes()).unwrap();
    assert_eq!(read_once(&mut third), Read1::Nothing, "answered past the cap of 2 connections");

    // ...and is once one of them closes.
    drop(held.pop());
    third.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    assert_eq!(read_once(&mut third), Read1::Bytes, "not answered after a place freed up");
    // The one left still works.
    held[0].write_all(get(&studio).as_bytes()).unwrap();
    assert_eq!(read_once(&mut held[0]), Read1::Bytes);
}
