*** Settings ***
Documentation       A Robot Framework timeout or stop reaches the plugin's cancel callback:
...                 the send stops at once with the plugin's CANCELLED error instead of
...                 waiting for DingTalk. A timeout or stop fails its test and cannot be caught
...                 there, so each case runs in a child ``robot`` (tests/nested/slow_send.robot)
...                 whose result this suite checks.
Variables           ../resources/paths.py
Library             ../resources/EmulatorLibrary.py    ${EMULATOR}
Library             ../resources/SuiteTools.py
Suite Setup         Start The Org
Suite Teardown      Stop The Org


*** Variables ***
${DINGTALK DELAY}       20
${PROMPT}               5


*** Test Cases ***
A Keyword Timeout Cancels The Send
    Slow Down Next Send    ${DINGTALK DELAY}
    ${run}=    Run Nested Suite    slow_send.robot    Send Under A Keyword Timeout
    ...    ${OUTPUT DIR}/nested-timeout    PLUGIN=${PLUGIN}    URL=${URL}
    Should Be Equal    ${run.status}    FAIL
    Should Be Equal    ${run.message}    Keyword timeout 1 second exceeded.
    # DingTalk answers after 20 s; the keyword gave up after its 1 s timeout (without the
    # cancellation it would wait for DingTalk, or at least the library's 10 s grace).
    Should Be True    ${run.elapsed} < ${PROMPT}    the test took ${run.elapsed} s
    Messages Should Contain    ${run.messages}    WARN    cancelled by the host
    Messages Should Contain    ${run.messages}    INFO
    ...    The plugin stopped: CANCELLED: The flow was stopped while a send was under way; that message may still arrive. Hint: *
    Messages Should Contain    ${run.messages}    INFO    Error document:*"code": "CANCELLED"*
    # The send had reached DingTalk (which delivers, then answers late): one batchSend.
    ${sends}=    Requests To    batchSend
    Length Should Be    ${sends}    1

Stopping Execution Cancels The Send
    Skip If    sys.platform.startswith("win")    no SIGINT to send on Windows
    Slow Down Next Send    ${DINGTALK DELAY}
    ${before}=    Requests To    batchSend
    ${run}=    Start Nested Suite    slow_send.robot    Send Until Stopped
    ...    ${OUTPUT DIR}/nested-stop    PLUGIN=${PLUGIN}    URL=${URL}
    # Stop only once the send is on the wire (DingTalk has it and will answer in 20 s).
    Wait Until Keyword Succeeds    20 s    50 ms    Sends Should Be    ${{ len($before) + 1 }}
    Send Stop Signal    ${run}
    ${run}=    Wait For Nested Suite    ${run}
    Should Be Equal    ${run.status}    FAIL
    Should Be Equal    ${run.message}    Execution terminated by signal
    Should Be True    ${run.wall} < ${PROMPT}    the child ran ${run.wall} s after the stop signal
    Messages Should Contain    ${run.messages}    WARN    cancelled by the host
    Messages Should Contain    ${run.messages}    INFO    The plugin stopped: CANCELLED: *


*** Keywords ***
Start The Org
    ${url}=    Start Emulator    ${APP_KEY}    ${APP_SECRET}    manager01,staff02
    Set Suite Variable    ${URL}    ${url}

Stop The Org
    Save Emulator Requests    ${OUTPUT DIR}/emulator-requests-cancellation.json
    Stop Emulator

Sends Should Be
    [Arguments]    ${count}
    ${sends}=    Requests To    batchSend
    Length Should Be    ${sends}    ${count}
