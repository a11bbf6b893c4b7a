"""Drive the DingTalk emulator with the official DingTalk Python SDK.

Usage: python sdk_check.py PORT APP_KEY APP_SECRET

The emulator must know the app (robot code = AppKey), user "u1", flow-controlled user "u3",
and the group "cidSdkGroup==" with the app's robot in it; "nobody" must not be a user. Exits 0
when every check passes; exits 3 when the SDK is not installed.
"""

import json
import sys
import urllib.request
import uuid

try:
    from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
    from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuthClient
    from alibabacloud_dingtalk.robot_1_0 import models as robot_models
    from alibabacloud_dingtalk.robot_1_0.client import Client as RobotClient
    from alibabacloud_tea_openapi.models import Config
    from alibabacloud_tea_util.models import RuntimeOptions
except ImportError as e:  # pragma: no cover - reported to the Rust test
    print(f"SDK not importable: {e}")
    sys.exit(3)

from sdk_tools import admin, check, fail, refused_with  # noqa: E402 (beside this script)


def group_messages(robot, token, runtime, app_key):
    """Group send and group recall through the SDK (orgGroupSend, orgGroupRecall), and the
    refusal of a group the robot is not in."""
    send_headers = robot_models.OrgGroupSendHeaders(x_acs_dingtalk_access_token=token)
    sent = robot.org_group_send_with_options(
        robot_models.OrgGroupSendRequest(
            msg_param=json.dumps({"content": "群消息"}, ensure_ascii=False),
            msg_key="sampleText",
            open_conversation_id="cidSdkGroup==",
            robot_code=app_key,
        ),
        send_headers,
        runtime,
    )
    key = sent.body.process_query_key
    check(sent.status_code == 200 and isinstance(key, str) and key, "group send returns a processQueryKey")
    refused_with(
        lambda: robot.org_group_send_with_options(
            robot_models.OrgGroupSendRequest(
                msg_param='{"content":"x"}', msg_key="sampleText", open_conversation_id="cidNoSuchGroup==",
                robot_code=app_key,
            ),
            send_headers,
            runtime,
        ),
        "invalid.openConversationId",
        "group send to an unknown group",
    )
    recall = robot.org_group_recall_with_options(
        robot_models.OrgGroupRecallRequest(
            open_conversation_id="cidSdkGroup==", process_query_keys=[key, "no-such-key"], robot_code=app_key
        ),
        robot_models.OrgGroupRecallHeaders(x_acs_dingtalk_access_token=token),
        runtime,
    )
    check(recall.body.success_result == [key], f"group successResult = {recall.body.success_result}")
    check("no-such-key" in (recall.body.failed_result or {}), "unknown key in the group failedResult")


def upload(port, token, name, media_type):
    """Uploads a small file with the old API's multipart form (the SDK has no media upload)
    and returns its media_id."""
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n{media_type}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{name}\"\r\n"
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + b"bytes" + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/media/upload?access_token={token}",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        answer = json.load(resp)
    check(answer.get("errcode") == 0 and answer.get("type") == media_type, f"upload {name} as {media_type}")
    return answer["media_id"]


def every_template(robot, headers, runtime, port, token, app_key):
    """Each template of the robot message types page, sent through the SDK with its exact
    field names; a misspelt card field is refused as DingTalk refuses it."""
    image = upload(port, token, "cover.png", "image")
    voice = upload(port, token, "note.amr", "voice")
    video = upload(port, token, "clip.mp4", "video")
    doc = upload(port, token, "report.pdf", "file")
    url = "https://open.dingtalk.com"
    templates = {
        "sampleText": {"content": "text"},
        "sampleMarkdown": {"title": "title", "text": "# text"},
        "sampleImageMsg": {"photoURL": image},
        "sampleLink": {"text": "text", "title": "title", "picUrl": image, "messageUrl": url},
        "sampleActionCard": {"title": "t", "text": "x", "singleTitle": "Go", "singleURL": url},
        "sampleActionCard6": {"title": "t", "text": "x", "buttonTitle1": "a", "buttonUrl1": url,
                              "buttonTitle2": "b", "buttonUrl2": url},
        "sampleAudio": {"mediaId": voice, "duration": "3000"},
        "sampleFile": {"mediaId": doc, "fileName": "report.pdf", "fileType": "pdf"},
        "sampleVideo": {"duration": "3", "videoMediaId": video, "videoType": "mp4", "picMediaId": image},
    }
    for n in range(2, 6):
        card = {"title": "t", "text": "x"}
        for i in range(1, n + 1):
            card[f"actionTitle{i}"] = f"button {i}"
            card[f"actionURL{i}"] = url
        templates[f"sampleActionCard{n}"] = card
    for key, param in templates.items():
        sent = robot.batch_send_otowith_options(
            robot_models.BatchSendOTORequest(
                robot_code=app_key, user_ids=["u1"], msg_key=key, msg_param=json.dumps(param, ensure_ascii=False)
            ),
            headers,
            runtime,
        )
        check(sent.status_code == 200 and sent.body.process_query_key, f"{key} accepted")
    misspelt = dict(templates["sampleActionCard2"])
    misspelt["actionTitle"] = misspelt.pop("actionTitle1")
    try:
        robot.batch_send_otowith_options(
            robot_models.BatchSendOTORequest(
                robot_code=app_key, user_ids=["u1"], msg_key="sampleActionCard2", msg_param=json.dumps(misspelt)
            ),
            headers,
            runtime,
        )
        fail("a misspelt card field was accepted")
    except Exception as e:
        code = getattr(e, "code", None)
        check(code == "miss.param.actionCardTobtnsTotitle", f"misspelt actionTitle1 -> {code}")
    return len(templates)


def main():
    port, app_key, app_secret = sys.argv[1], sys.argv[2], sys.argv[3]
    config = Config(protocol="http", endpoint=f"127.0.0.1:{port}")
    runtime = RuntimeOptions(read_timeout=10000, connect_timeout=5000)
    oauth = OAuthClient(config)
    robot = RobotClient(config)

    # Token, twice: the same token comes back.
    token_resp = oauth.get_access_token_with_options(
        oauth_models.GetAccessTokenRequest(app_key=app_key, app_secret=app_secret), {}, runtime
    )
    token = token_resp.body.access_token
    check(token_resp.status_code == 200, "token status 200")
    check(isinstance(token, str) and len(token) >= 16, "token is an opaque string")
    check(isinstance(token_resp.body.expire_in, int) and 0 < token_resp.body.expire_in <= 7200, "expireIn in seconds")
    again = oauth.get_access_token(oauth_models.GetAccessTokenRequest(app_key=app_key, app_secret=app_secret))
    check(again.body.access_token == token, "same token handed back before expiry")
    check(bool(token_resp.headers.get("x-acs-request-id")), "x-acs-request-id header present")

    # Wrong secret.
    try:
        oauth.get_access_token(oauth_models.GetAccessTokenRequest(app_key=app_key, app_secret="wrong"))
        fail("wrong secret accepted")
    except Exception as e:  # TeaException
        check(getattr(e, "code", None) == "invalidClientIdOrSecret", f"wrong secret -> {getattr(e, 'code', e)}")
        check(getattr(e, "statusCode", None) == 400 or (getattr(e, "data", None) or {}).get("statusCode") == 400, "wrong secret -> HTTP 400")

    # batchSend: one valid, one unknown, one flow-controlled user.
    headers = robot_models.BatchSendOTOHeaders(x_acs_dingtalk_access_token=token)
    send = robot.batch_send_otowith_options(
        robot_models.BatchSendOTORequest(
            robot_code=app_key,
            user_ids=["u1", "nobody", "u3"],
            msg_key="sampleText",
            msg_param=json.dumps({"content": "来自 SDK 的问候"}, ensure_ascii=False),
        ),
        headers,
        runtime,
    )
    body = send.body
    check(send.status_code == 200, "batchSend status 200")
    check(body.invalid_staff_id_list == ["nobody"], f"invalidStaffIdList = {body.invalid_staff_id_list}")
    check(body.flow_controlled_staff_id_list == ["u3"], f"flowControlledStaffIdList = {body.flow_controlled_staff_id_list}")
    key = body.process_query_key
    check(isinstance(key, str) and key, "processQueryKey returned")

    # readStatus, before and after u1 reads it (the key holds + / =: the SDK encodes it).
    check(all(c in key for c in "+/="), "processQueryKey holds +, / and =")
    query_headers = robot_models.BatchOTOQueryHeaders(x_acs_dingtalk_access_token=token)

    def read_status(k):
        return robot.batch_otoquery_with_options(
            robot_models.BatchOTOQueryRequest(robot_code=app_key, process_query_key=k), query_headers, runtime
        )

    status = read_status(key)
    infos = status.body.message_read_info_list
    check(status.body.send_status == "SUCCESS", f"sendStatus = {status.body.send_status}")
    check([i.user_id for i in infos] == ["u1"], "readStatus lists the delivered user only")
    check(infos[0].read_status == "UNREAD" and isinstance(infos[0].read_timestamp, int), "readStatus fields typed")
    admin(port, "mark-read", {"processQueryKey": key, "userId": "u1"})
    check(read_status(key).body.message_read_info_list[0].read_status == "READ", "u1 has read it")
    refused_with(lambda: read_status("no-such-key"), "invalid.processQueryKey", "readStatus of an unknown key")

    # Recall.
    recall = robot.batch_recall_otowith_options(
        robot_models.BatchRecallOTORequest(robot_code=app_key, process_query_keys=[key, "no-such-key"]),
        robot_models.BatchRecallOTOHeaders(x_acs_dingtalk_access_token=token),
        runtime,
    )
    check(recall.body.success_result == [key], f"successResult = {recall.body.success_result}")
    check("no-such-key" in (recall.body.failed_result or {}), "unknown key in failedResult")
    check(read_status(key).body.send_status == "RECALLED", "sendStatus RECALLED after the recall")

    # Past the 24-hour window.
    old = robot.batch_send_otowith_options(
        robot_models.BatchSendOTORequest(robot_code=app_key, user_ids=["u1"], msg_key="sampleText",
                                         msg_param='{"content":"old"}'),
        headers,
        runtime,
    ).body.process_query_key
    admin(port, "backdate", {"processQueryKey": old, "seconds": 25 * 3600})
    refused_with(lambda: read_status(old), "processQueryKey.expireTime", "readStatus after 24 hours")

    group_messages(robot, token, runtime, app_key)

    sent = every_template(robot, headers, runtime, port, token, app_key)

    # An unknown template is refused.
    try:
        robot.batch_send_otowith_options(
            robot_models.BatchSendOTORequest(robot_code=app_key, user_ids=["u1"], msg_key="noSuchTemplate", msg_param="{}"),
            headers,
            runtime,
        )
        fail("unknown msgKey accepted")
    except Exception as e:
        code = getattr(e, "code", None)
        check(code == "invalidParameter.msgKey.invalid", f"unknown msgKey -> {code}")

    # Forged token.
    try:
        robot.batch_send_otowith_options(
            robot_models.BatchSendOTORequest(
                robot_code=app_key, user_ids=["u1"], msg_key="sampleText", msg_param='{"content":"x"}'
            ),
            robot_models.BatchSendOTOHeaders(x_acs_dingtalk_access_token="0" * 32),
            runtime,
        )
        fail("forged token accepted")
    except Exception as e:
        code = getattr(e, "code", None)
        check(code == "InvalidAuthentication", f"forged token -> {code}")
        data = getattr(e, "data", None) or {}
        check(data.get("statusCode") == 400, f"forged token -> HTTP {data.get('statusCode')}")
        check(bool(data.get("requestid")), "error body carries requestid")

    print(f"TEMPLATES SENT {sent}")
    print("ALL SDK CHECKS PASSED")


if __name__ == "__main__":
    main()
