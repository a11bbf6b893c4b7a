#!/usr/bin/env python3
"""The official DingTalk Python SDK making the same batchSend calls as the plugin bench,
one at a time, against the same emulator.

    sdk_bench.py HOST:PORT APP_KEY APP_SECRET COUNT   ->   {"opsPerSec": N, "sends": COUNT}
"""

import json
import sys
import time

from alibabacloud_dingtalk.oauth2_1_0 import client as oauth_client, models as oauth_models
from alibabacloud_dingtalk.robot_1_0 import client as robot_client, models as robot_models
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models


def main():
    endpoint, key, secret, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    config = open_api_models.Config(protocol="http", endpoint=endpoint)
    token = oauth_client.Client(config).get_access_token(
        oauth_models.GetAccessTokenRequest(app_key=key, app_secret=secret)
    ).body.access_token
    robot = robot_client.Client(config)
    headers = robot_models.BatchSendOTOHeaders(x_acs_dingtalk_access_token=token)
    request = robot_models.BatchSendOTORequest(
        robot_code=key,
        user_ids=["u1"],
        msg_key="sampleText",
        msg_param=json.dumps({"content": "benchmark message"}),
    )
    runtime = util_models.RuntimeOptions()
    started = time.perf_counter()
    for _ in range(count):
        robot.batch_send_otowith_options(request, headers, runtime)
    secs = time.perf_counter() - started
    print(json.dumps({"opsPerSec": count / secs, "sends": count}))


if __name__ == "__main__":
    main()
