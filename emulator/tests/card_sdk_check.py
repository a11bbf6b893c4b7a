"""Drive the emulator's interactive-card endpoints with the official DingTalk Python SDK
(`alibabacloud_dingtalk.card_1_0`): the request models build the wire, the response models
read the answers.

Usage: python card_sdk_check.py PORT APP_KEY APP_SECRET TEMPLATE_ID

The emulator must know the app (robot code = AppKey), user "u1", the template, and the group
"cidSdkGroup==" with the app's robot in it. Exits 0 when every check passes; exits 3 when the
SDK is not installed.
"""

import json
import sys

try:
    from alibabacloud_dingtalk.card_1_0 import models as card_models
    from alibabacloud_dingtalk.card_1_0.client import Client as CardClient
    from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
    from alibabacloud_dingtalk.oauth2_1_0.client import Client as OAuthClient
    from alibabacloud_tea_openapi.models import Config
    from alibabacloud_tea_util.models import RuntimeOptions
except ImportError as e:  # pragma: no cover - reported to the Rust test
    print(f"SDK not importable: {e}")
    sys.exit(3)

from sdk_tools import admin, check, fail, refused_with  # noqa: E402 (beside this script)


def to_user(out_track_id, template, app_key, params):
    return card_models.CreateAndDeliverRequest(
        card_template_id=template,
        out_track_id=out_track_id,
        callback_type="STREAM",
        card_data=card_models.CreateAndDeliverRequestCardData(card_param_map=params),
        open_space_id="dtv1.card//IM_ROBOT.u1",
        im_robot_open_deliver_model=card_models.CreateAndDeliverRequestImRobotOpenDeliverModel(
            space_type="IM_ROBOT", robot_code=app_key
        ),
        user_id_type=1,
    )


def main():
    port, app_key, app_secret, template = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    config = Config(protocol="http", endpoint=f"127.0.0.1:{port}")
    runtime = RuntimeOptions(read_timeout=10000, connect_timeout=5000)
    token = (
        OAuthClient(config)
        .get_access_token(oauth_models.GetAccessTokenRequest(app_key=app_key, app_secret=app_secret))
        .body.access_token
    )
    cards = CardClient(config)
    create_headers = card_models.CreateAndDeliverHeaders(x_acs_dingtalk_access_token=token)
    update_headers = card_models.UpdateCardHeaders(x_acs_dingtalk_access_token=token)

    def create(request):
        return cards.create_and_deliver_with_options(request, create_headers, runtime)

    def update(request):
        return cards.update_card_with_options(request, update_headers, runtime)

    params = {"title": "审批", "question": "同意订单 PO-1？", "choices": json.dumps(["同意", "拒绝"], ensure_ascii=False),
              "status": ""}
    sent = create(to_user("sdk-card-1", template, app_key, params))
    body = sent.body
    check(sent.status_code == 200 and body.success is True, "createAndDeliver: success")
    check(body.result.out_track_id == "sdk-card-1", f"result.outTrackId = {body.result.out_track_id}")
    results = body.result.deliver_results
    check(len(results) == 1, "one deliverResult")
    r = results[0]
    check((r.space_type, r.space_id, r.success) == ("IM_ROBOT", "u1", True), f"deliverResult {r.to_map()}")
    check(isinstance(r.carrier_id, str) and r.carrier_id, "carrierId returned")

    group = create(
        card_models.CreateAndDeliverRequest(
            card_template_id=template,
            out_track_id="sdk-card-2",
            callback_type="STREAM",
            card_data=card_models.CreateAndDeliverRequestCardData(card_param_map={"title": "群审批", "status": ""}),
            open_space_id="dtv1.card//IM_GROUP.cidSdkGroup==",
            im_group_open_deliver_model=card_models.CreateAndDeliverRequestImGroupOpenDeliverModel(robot_code=app_key),
            im_group_open_space_model=card_models.CreateAndDeliverRequestImGroupOpenSpaceModel(support_forward=False),
            user_id_type=1,
        )
    )
    g = group.body.result.deliver_results[0]
    check((g.space_type, g.space_id) == ("IM_GROUP", "cidSdkGroup=="), "group card delivered")

    refused_with(lambda: create(to_user("sdk-card-1", template, app_key, params)), "param.outTrackIdDuplicate",
                 "the same outTrackId again", status=400)
    e = refused_with(lambda: create(to_user("sdk-card-3", "no-such.schema", app_key, params)), "param.templateNotExist",
                     "an unknown template", status=400)
    check("no-such.schema" in str(getattr(e, "message", "")), "the refusal names the template")

    updated = update(
        card_models.UpdateCardRequest(
            out_track_id="sdk-card-1",
            card_data=card_models.UpdateCardRequestCardData(card_param_map={"status": "同意"}),
            card_update_options=card_models.UpdateCardRequestCardUpdateOptions(update_card_data_by_key=True),
        )
    )
    check(updated.status_code == 200 and updated.body.success is True and updated.body.result is True,
          "update: success, result true")
    refused_with(
        lambda: update(
            card_models.UpdateCardRequest(
                out_track_id="no-such-card",
                card_data=card_models.UpdateCardRequestCardData(card_param_map={"status": "x"}),
            )
        ),
        "param.cardNotExist",
        "an update of an unknown card",
        status=400,
    )

    admin(port, "permissions", {"appKey": app_key, "permissions": ["qyapi_robot_sendmsg"]})
    e = refused_with(lambda: create(to_user("sdk-card-4", template, app_key, params)),
                     "Forbidden.AccessDenied.AccessTokenPermissionDenied", "createAndDeliver without Card.Instance.Write",
                     status=403)
    scopes = ((getattr(e, "data", None) or {}).get("accessdenieddetail") or {}).get("requiredScopes")
    check(scopes == ["Card.Instance.Write"], f"requiredScopes = {scopes}")

    print("ALL CARD SDK CHECKS PASSED")


if __name__ == "__main__":
    main()
