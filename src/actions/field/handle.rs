//! The robot object a connect step outputs and later steps take.

use std::sync::Arc;

use rpa_plugin_abi::text;
use serde_json::Value;

use super::*;
use crate::actions::params::Params;
use crate::error::Result;
use crate::robots::{self, Robot};

/// A robot handle output by "connect" in this process.
pub(crate) struct RobotHandle;

impl Kind for RobotHandle {
    type Value = Arc<Robot>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        robots::robot_schema()
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Arc<Robot>> {
        robots::lookup(name, raw.ok_or_else(|| p.missing(name))?)
    }
}

/// The robot object every action after "connect" takes, declared once.
pub(crate) const ROBOT: Field<RobotHandle> = Field {
    name: "robot",
    label: text!(en: "Robot object", zh: "钉钉机器人对象"),
    help: text!(
        en: "The robot object output by \"Create DingTalk robot connection\".",
        zh: "“建立钉钉机器人连接”输出的机器人对象。"
    ),
    kind: RobotHandle,
    visible_when: None,
};
