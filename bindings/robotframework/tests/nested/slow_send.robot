*** Settings ***
Documentation       Run in a child ``robot`` by ../acceptance/02_cancellation.robot: each test
...                 sends to an emulator whose next send is slowed down, and is expected to
...                 FAIL (a timeout or a stop cannot be caught inside the run that has it).
...                 Needs --variable URL:<the emulator's base URL>.
Variables           ../resources/paths.py
Library             DingTalkRobotLibrary    ${PLUGIN}


*** Test Cases ***
Send Under A Keyword Timeout
    Connect And Send Slowly With A Timeout

Send Until Stopped
    Connect And Send


*** Keywords ***
Connect And Send Slowly With A Timeout
    [Timeout]    1 second
    Connect And Send

Connect And Send
    ${connection}=    Create DingTalk Robot Connection    ${APP_KEY}    ${APP_SECRET}
    ...    apiBaseUrl=${URL}    oapiBaseUrl=${URL}
    Send Single-Chat Message    ${connection.robot}    manager01    text    sent slowly
