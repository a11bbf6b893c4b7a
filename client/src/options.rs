//! [`CallOptions`]: everything one robot's calls take besides their own request, held once
//! by the robot and passed to each call, so that a new option is added in one place.

use std::time::Duration;

/// How one robot calls DingTalk: which robot, where, and within how long.
///
/// Compared and hashed whole, so that a robot connected again with the same options is
/// the same robot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallOptions {
    /// The robot's code (DingTalk's `robotCode`; for an app's own robot, its AppKey).
    pub robot_code: String,
    /// Base URL of DingTalk's new API generation (`https://api.dingtalk.com`).
    pub api_base: String,
    /// Base URL of the old API generation (`https://oapi.dingtalk.com`: uploads, user lookup).
    pub oapi_base: String,
    /// How long each call may take, retries and waits included.
    pub timeout: Duration,
    /// How often a throttled call is tried again (about a second apart, as DingTalk
    /// advises); a call that never reached the server is tried again one time fewer.
    /// Always within [`CallOptions::timeout`].
    pub retries: u32,
    /// How long a Stream connection stays open after its last wait ended (`None`: while the
    /// process lives). The first wait of an app in a process opens its listener with it.
    pub stream_idle: Option<Duration>,
}

impl Default for CallOptions {
    /// DingTalk's own bases, 30 seconds, 3 retries, no robot code, Stream connections
    /// closed 10 minutes after their last wait.
    fn default() -> Self {
        CallOptions {
            robot_code: String::new(),
            api_base: "https://api.dingtalk.com".to_string(),
            oapi_base: "https://oapi.dingtalk.com".to_string(),
            timeout: Duration::from_secs(30),
            retries: 3,
            stream_idle: Some(Duration::from_secs(600)),
        }
    }
}
