*** Settings ***
Documentation       The DingTalk robot plugin from Robot Framework, against the emulator:
...                 connect, text to three users (one unknown, one flow-controlled), Markdown
...                 with a title, and bad input failing with the plugin's hint.
Variables           ../resources/paths.py
Library             Collections
Library             OperatingSystem
Library             DingTalkRobotLibrary    ${PLUGIN}
Library             ../resources/EmulatorLibrary.py    ${EMULATOR}
Library             ../resources/SuiteTools.py
Suite Setup         Start The Org
Suite Teardown      Stop The Org


*** Variables ***
@{THREE USERS}      manager01    nobody    busy04


*** Test Cases ***
Connect Returns A Robot Object
    ${connection}=    Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}
    ...    apiBaseUrl=${URL}    oapiBaseUrl=${URL}
    Should Be Equal    ${connection.robot.type}    dingtalk.robot
    Should Not Be Empty    ${connection.robot.id}
    Should Be Equal    ${{ sorted($connection.robot) }}    ${{ ["id", "type"] }}
    # The suite setup connected first; the plugin reuses the token it got then.
    ${stats}=    Emulator Stats
    Should Be Equal As Integers    ${stats}[tokenRequests]    1

Text To Three Users Reports The Unknown And The Flow-Controlled One
    Clear Captured Log
    ${out}=    Send Single-Chat Message    ${ROBOT}    ${THREE USERS}    text    Daily report is ready
    Should Be Equal    ${out.invalidUserIds}    ${{ ["nobody"] }}
    Should Be Equal    ${out.flowControlledUserIds}    ${{ ["busy04"] }}
    Should Not Be Empty    ${out.processQueryKey}
    ${delivery}=    Last Delivery
    Should Be Equal    ${delivery}[processQueryKey]    ${out.processQueryKey}
    Should Be Equal    ${delivery}[msgKey]    sampleText
    Should Be Equal    ${delivery}[msgParam][content]    Daily report is ready
    Should Be Equal    ${delivery}[userIds]    ${{ ["manager01"] }}
    # The plugin's own log lines reach Robot Framework's log at their level.
    Captured Log Should Contain    INFO    *batchSend -> HTTP 200*
    Captured Log Should Contain    WARN    *flow-controlled*busy04*

Markdown With A Title
    ${out}=    Send Single-Chat Message    ${ROBOT}    manager01, staff02    markdown
    ...    \# Weekly report\nAll green.    title=Weekly report (week 47)
    Should Be Empty    ${out.invalidUserIds}
    Should Be Empty    ${out.flowControlledUserIds}
    ${delivery}=    Last Delivery
    Should Be Equal    ${delivery}[msgKey]    sampleMarkdown
    Should Be Equal    ${delivery}[msgParam][title]    Weekly report (week 47)
    Should Be Equal    ${delivery}[msgParam][text]    \# Weekly report\nAll green.
    Should Be Equal    ${delivery}[userIds]    ${{ ["manager01", "staff02"] }}

The Whole Output Of Connect Is Accepted As The Robot
    ${out}=    Send Single-Chat Message    ${CONNECTION}    ["staff03"]    text    hello
    Should Be Empty    ${out.invalidUserIds}
    ${delivery}=    Last Delivery
    Should Be Equal    ${delivery}[userIds]    ${{ ["staff03"] }}

Bad Input Fails With The Plugin's Message, Field And Hint And Sends Nothing
    ${before}=    Emulator Stats
    ${empty}=    Create List
    # STARTS: a glob would read [field userIds] as one character of a set.
    ${error}=    Run Keyword And Expect Error
    ...    STARTS: INVALID_INPUT: No receivers: give user IDs, mobile numbers, or both. [field userIds] Hint:
    ...    Send Single-Chat Message    ${ROBOT}    ${empty}    text    hello
    Should End With    ${error}    sent 20 at a time. Find user IDs in the admin console's contacts.
    ${too many}=    Evaluate    [f"user{i}" for i in range(1001)]
    Run Keyword And Expect Error    INVALID_INPUT: * Hint: *
    ...    Send Single-Chat Message    ${ROBOT}    ${too many}    text    hello
    Run Keyword And Expect Error    INVALID_INPUT: * Hint: *
    ...    Send Single-Chat Message    ${ROBOT}    manager01    sms    hello
    Run Keyword And Expect Error    INVALID_INPUT: * Hint: *
    ...    Send Single-Chat Message    ${ROBOT}    manager01    link    hello
    ${after}=    Emulator Stats
    Should Be Equal    ${after}[batchSendRequests]    ${before}[batchSendRequests]

A Failure Logs The Whole Error Document
    Clear Captured Log
    TRY
        Send Single-Chat Message    ${ROBOT}    manager01    text    ${EMPTY}
    EXCEPT    INVALID_INPUT: *    type=glob    AS    ${error}
        Should Contain    ${error}    Hint:
    END
    Captured Log Should Contain    INFO    Error document:*"code": "INVALID_INPUT"*"field": "content"*"zh-CN"*

Wrong Credentials Fail With AUTH_FAILED And Never Show The Secret
    ${wrong}=    Evaluate    robot.api.types.Secret("not-the-secret-0000")    modules=robot.api.types
    TRY
        Create DingTalk Robot Connection    ${APP_KEY}    ${wrong}    apiBaseUrl=${URL}    oapiBaseUrl=${URL}
    EXCEPT    AUTH_FAILED: * Hint: *    type=glob    AS    ${error}
        Should Not Contain    ${error}    not-the-secret-0000
        Should Be True    $APP_SECRET.value not in $error
    END

Advanced Arguments Given As Text Are Read As JSON
    ${connection}=    Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}
    ...    apiBaseUrl=${URL}    oapiBaseUrl=${URL}    timeoutSeconds=5    qpsLimit=0
    Should Be Equal    ${connection.robot.type}    dingtalk.robot
    Run Keyword And Expect Error    INVALID_INPUT: * Hint: *
    ...    Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}    apiBaseUrl=${URL}    timeoutSeconds=0

An Action Card Takes Its Template's Fields As Named Arguments
    ${buttons}=    Evaluate    [{"title": "Approve", "url": "https://example.com/ok"}, {"title": "Reject", "url": "https://example.com/no"}]
    Send Single-Chat Message    ${ROBOT}    staff02    actionCard    Approve PO 4711?
    ...    buttons=${buttons}    buttonLayout=horizontal
    ${delivery}=    Last Delivery
    Should Be Equal    ${delivery}[msgKey]    sampleActionCard6
    Should Be Equal    ${delivery}[msgParam][buttonUrl2]    https://example.com/no

A Positional Argument Is Required And Optional Ones Are Named
    Run Keyword And Expect Error    Keyword '*Send Single-Chat Message' expected 4 *arguments, got 3.
    ...    Send Single-Chat Message    ${ROBOT}    manager01    text
    Run Keyword And Expect Error    Keyword '*Send Single-Chat Message' expected 4 *arguments, got 5.
    ...    Send Single-Chat Message    ${ROBOT}    manager01    markdown    hello    A title


Failure Messages In Chinese
    Import Library    DingTalkRobotLibrary    ${PLUGIN}    language=zh-CN    AS    ZhRobot
    ${empty}=    Create List
    Run Keyword And Expect Error    STARTS: INVALID_INPUT: 没有接收人：请填写用户 ID 或手机号（或两者）。 [字段 userIds] 提示：
    ...    ZhRobot.Send Single-Chat Message    ${ROBOT}    ${empty}    text    hello

A Library Given No Language Takes The System's
    ${before}=    Get Environment Variable    LC_ALL    ${EMPTY}
    Set Environment Variable    LC_ALL    zh_CN.UTF-8
    # Named this time: Robot Framework would hand back the suite's instance for the same arguments.
    Import Library    DingTalkRobotLibrary    library_path=${PLUGIN}    AS    SystemZh
    ${empty}=    Create List
    Run Keyword And Expect Error    STARTS: INVALID_INPUT: 没有接收人：请填写用户 ID 或手机号（或两者）。 [字段 userIds] 提示：
    ...    SystemZh.Send Single-Chat Message    ${ROBOT}    ${empty}    text    hello
    [Teardown]    Run Keyword If    not $before    Remove Environment Variable    LC_ALL
    ...    ELSE    Set Environment Variable    LC_ALL    ${before}

Log Lines And Progress Come In The Library's Language
    Import Library    DingTalkRobotLibrary    ${PLUGIN}    language=zh-CN    AS    ZhLog
    Clear Captured Log
    ZhLog.Send Single-Chat Message    ${ROBOT}    ${THREE USERS}    text    日报已生成
    Captured Log Should Contain    WARN    钉钉不认识其中 1 个用户ID：nobody*
    Captured Log Should Contain    WARN    共 3 位接收人，已送达 1 位。
    # A 6 s wait: one progress line at INFO after 5 s, no more.
    ${out}=    ZhLog.Wait For A Reply    ${ROBOT}    staff02    6
    Should Not Be True    ${out.replied}
    Captured Log Should Contain    INFO    5/6 等待 staff02 回复，剩余 1 秒
    ${infos}=    Captured Messages    INFO
    ${progress}=    Evaluate    [m for m in $infos if re.fullmatch(r"\\d+/6 等待 staff02 回复，剩余 \\d+ 秒", m)]    modules=re
    Length Should Be    ${progress}    1    ${progress}

*** Keywords ***
Start The Org
    ${url}=    Start Emulator    ${APP_KEY}    ${APP_SECRET}    manager01,staff02,staff03,busy04    busy04
    Set Suite Variable    ${URL}    ${url}
    ${connection}=    Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}
    ...    apiBaseUrl=${URL}    oapiBaseUrl=${URL}
    Set Suite Variable    ${CONNECTION}    ${connection}
    Set Suite Variable    ${ROBOT}    ${connection.robot}

Stop The Org
    Save Emulator Requests    ${OUTPUT DIR}/emulator-requests-send.json
    Stop Emulator

Last Delivery
    ${deliveries}=    Delivered Messages
    RETURN    ${deliveries}[-1]
