*** Settings ***
Documentation       What a failure tells a suite: the field at fault in the message, in the
...                 words host-sim prints; the details of PARTIALLY_SENT (a send in batches of
...                 20 whose second batch DingTalk refused) as attributes of the raised error;
...                 and a warning, once per field, when a secret arrives as a plain string.
Variables           ../resources/paths.py
Library             Collections
Library             DingTalkRobotLibrary    ${PLUGIN}
Library             ../resources/EmulatorLibrary.py    ${EMULATOR}
Library             ../resources/SuiteTools.py
Suite Setup         Start An Org Of 25
Suite Teardown      Stop The Org


*** Variables ***
# A custom robot's webhook and signing secret, made up for these tests: they are given as
# plain strings on purpose and end up in output.xml, as the warning says.
${HOOK}             https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
${SIGNING}          SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef


*** Test Cases ***
A Failure Names Its Field As host-sim Does
    # `CODE: message [field name]`, as host-sim's summary of a failed step, then the hint.
    # (01_send_messages.robot checks the words of userIds's; a glob would read the brackets
    # as a set of characters, hence REGEXP.)
    Run Keyword And Expect Error    REGEXP: INVALID_INPUT: [^\\[]+ \\[field content\\] Hint: .+
    ...    Send Single-Chat Message    ${ROBOT}    r00    text    ${EMPTY}
    Run Keyword And Expect Error    REGEXP: INVALID_INPUT: [^\\[]+ \\[field timeoutSeconds\\] Hint: .+
    ...    Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}    apiBaseUrl=${URL}    timeoutSeconds=0
    # An error that names no field has no brackets.
    ${wrong}=    Evaluate    robot.api.types.Secret("not-the-secret-0000")    modules=robot.api.types
    Run Keyword And Expect Error    REGEXP: AUTH_FAILED: [^\\[]+ Hint: .+
    ...    Create DingTalk Robot Connection    ${APP_KEY}    ${wrong}    apiBaseUrl=${URL}    oapiBaseUrl=${URL}

A Partly Sent Message Gives Its Details As Attributes Of The Error
    ${before}=    Delivered Messages
    Refuse The Send After The Next One
    Run Keyword And Expect Error    PARTIALLY_SENT: *unsentUserIds*
    ...    Send Single-Chat Message    ${ROBOT}    ${USERS}    text    hello
    ${lib}=    Get Library Instance    DingTalkRobotLibrary
    ${error}=    Set Variable    ${lib.last_error}
    Should Be Equal    ${error.code}    PARTIALLY_SENT
    Should Be Equal    ${error.details.sentUserIds}    ${USERS}[:20]
    Should Be Equal    ${error.details.unsentUserIds}    ${USERS}[20:]
    Should Be Empty    ${error.details.unknownUserIds}
    # Each key of the details is an attribute of the error too.
    Should Be Equal    ${error.unsentUserIds}    ${USERS}[20:]
    Should Be Equal    ${error.processQueryKeys}    ${error.details.processQueryKeys}
    Length Should Be    ${error.processQueryKeys}    1
    # As the hint says: run the step again with only the unsent users.
    Send Single-Chat Message    ${ROBOT}    ${error.unsentUserIds}    text    hello
    Should Be Equal    ${lib.last_error}    ${None}    the next keyword passed
    ${got}=    Delivered User Ids    since=${{ len($before) }}
    Should Be Equal    ${got}    ${USERS}    each of the 25 got it once

An Error Without Details Has An Empty details
    Run Keyword And Expect Error    INVALID_INPUT: *
    ...    Send Single-Chat Message    ${ROBOT}    r00    text    ${EMPTY}
    ${lib}=    Get Library Instance    DingTalkRobotLibrary
    Should Be Empty    ${lib.last_error.details}
    Should Be Equal    ${lib.last_error.field}    content

A Secret Given As A Plain String Is Warned About Once Per Field
    Import Library    DingTalkRobotLibrary    ${PLUGIN}    AS    Plain
    Clear Captured Log
    Plain.Create Custom Robot Connection    ${HOOK}    secret=${SIGNING}
    Plain.Create Custom Robot Connection    ${HOOK}    secret=${SIGNING}
    ${warnings}=    Captured Warnings
    Length Should Be    ${warnings}    2    one per field, not per call: ${warnings}
    Should Match    ${warnings}[0]
    ...    The argument 'webhookUrl' of 'Create Custom Robot Connection' is a secret but was given as a plain string, *TRACE level* Pass it as a Secret (Robot Framework 7.4+)*\${WEBHOOK_URL: Secret}*\%{WEBHOOK_URL}
    Should Match    ${warnings}[1]    The argument 'secret' of *\${SECRET: Secret}*\%{SECRET}
    Should Not Contain    ${warnings}[0]    ${SIGNING}
    Should Not Contain    ${warnings}[0]    0123456789abcdef

A Secret Passed As A Secret Draws No Warning
    Import Library    DingTalkRobotLibrary    ${PLUGIN}    AS    Careful
    Clear Captured Log
    ${hook}=    Evaluate    robot.api.types.Secret($HOOK)    modules=robot.api.types
    ${signing}=    Evaluate    robot.api.types.Secret($SIGNING)    modules=robot.api.types
    Careful.Create Custom Robot Connection    ${hook}    secret=${signing}
    Careful.Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}    apiBaseUrl=${URL}    oapiBaseUrl=${URL}
    # An empty signing secret is no secret.
    Careful.Create Custom Robot Connection    ${hook}    secret=${EMPTY}
    ${warnings}=    Captured Warnings
    Should Be Empty    ${warnings}

The Field And The Warning Are In The Library's Language
    # (Imported last: another instance makes the keyword names ambiguous for the tests after.)
    Import Library    DingTalkRobotLibrary    ${PLUGIN}    language=zh-CN    AS    PlainZh
    Run Keyword And Expect Error    REGEXP: INVALID_INPUT: [^\\[]+ \\[字段 content\\] 提示：.+
    ...    PlainZh.Send Single-Chat Message    ${ROBOT}    r00    text    ${EMPTY}
    Clear Captured Log
    PlainZh.Create Custom Robot Connection    ${HOOK}
    Captured Log Should Contain    WARN
    ...    「Create Custom Robot Connection」的参数 webhookUrl 是机密，却以普通字符串传入*请改用 Secret 传入*\${WEBHOOK_URL: Secret}*


*** Keywords ***
Start An Org Of 25
    ${users}=    Evaluate    [f"r{i:02}" for i in range(25)]
    Set Suite Variable    ${USERS}    ${users}
    ${url}=    Start Emulator    ${APP_KEY}    ${APP_SECRET}    ${{ ",".join($users) }}
    Set Suite Variable    ${URL}    ${url}
    ${connection}=    Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}
    ...    apiBaseUrl=${URL}    oapiBaseUrl=${URL}
    Set Suite Variable    ${ROBOT}    ${connection.robot}

Stop The Org
    Save Emulator Requests    ${OUTPUT DIR}/emulator-requests-details.json
    Stop Emulator

Delivered User Ids
    [Arguments]    ${since}
    ${deliveries}=    Delivered Messages
    ${ids}=    Evaluate    sorted(u for d in $deliveries[$since:] for u in d["userIds"])
    RETURN    ${ids}

Captured Warnings
    ${warnings}=    Captured Messages    WARN
    RETURN    ${warnings}
