//! A `redis-server` of a test's own (Debian's package): on a free loopback port, with no
//! persistence, killed when dropped. Skipped, saying so, when the binary is missing, unless
//! `CI=true` (then the test fails). Used by `tests/fleet.rs` and by the client's fleet unit
//! tests (included with `#[path]`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub(crate) struct TestRedis {
    child: Option<Child>,
    password: Option<String>,
    /// The loopback port it listens on.
    pub(crate) port: u16,
}

impl TestRedis {
    /// Starts one (requiring `password` when given), or `None` when `redis-server` is missing
    /// and this is not CI.
    pub(crate) fn start(password: Option<&str>) -> Option<TestRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = TestRedis { child: None, password: password.map(str::to_string), port };
        match redis.spawn() {
            Ok(()) => Some(redis),
            Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
                xtask::skips::record(
                    "the fleet's tests on Redis (tests/fleet.rs, dingtalk-client's fleet tests)",
                    &format!("redis-server cannot be started ({e})"),
                    "apt-get install redis-server (cargo xtask test does it when run as root)",
                );
                None
            }
            Err(e) => panic!("redis-server is needed on CI: {e}"),
        }
    }

    /// Starts the server (again) on its port, and waits until it accepts connections.
    fn spawn(&mut self) -> std::io::Result<()> {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        self.child = Some(cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Kills the server (its data goes with it).
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn().expect("redis-server starts again");
    }

    /// Its URL, with `password` when given.
    pub(crate) fn url(&self, password: Option<&str>) -> String {
        match password {
            Some(p) => format!("redis://:{p}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
