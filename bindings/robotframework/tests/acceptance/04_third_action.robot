*** Settings ***
Documentation       Adding an action to a plugin adds a keyword with no change to the library: a
...                 fixture plugin with a third action (host-sim/tests/fixtures/three-actions-plugin,
...                 plain C entry points, built by tests/robot_framework.rs) gets three working
...                 keywords, with their arguments, failures, log levels and ``libdoc`` entries.
Variables           ../resources/paths.py
Library             ../resources/SuiteTools.py
Resource            ../resources/libdoc.resource
Suite Setup         Import The Fixture Plugin


*** Test Cases ***
Libdoc Lists Every Action Of The Three-Action Fixture
    Libdoc Should List Every Action    DingTalkRobotLibrary::${FIXTURE_PLUGIN}    ${FIXTURE_MANIFEST}    FixturePlugin

The Third Action Is A Keyword That Runs
    ${names}=    Call Method    ${FIXTURE}    get_keyword_names
    Should Be Equal    ${names}    ${{ ["Echo The Parameters", "Fail With A Hint", "Query Message Read Status"] }}
    ${out}=    Fixture.Query Message Read Status    send-key-1
    Should Be Equal    ${out.readUserIds}    ${{ ["u1"] }}
    Should Be Equal    ${out.unreadUserIds}    ${{ ["u2", "u3"] }}
    # Optional arguments left out are not sent; the plugin applies its own defaults.
    Should Be Equal    ${out.params}    ${{ {"processQueryKey": "send-key-1"} }}
    ${out}=    Fixture.Query Message Read Status    processQueryKey=send-key-2    waitMs=20
    Should Be Equal    ${out.params}    ${{ {"processQueryKey": "send-key-2", "waitMs": 20} }}

Arguments Come From The Fields
    ${args}=    Call Method    ${FIXTURE}    get_keyword_arguments    Query Message Read Status
    Should Be Equal    ${args}    ${{ ["processQueryKey", "*", ("waitMs", 0)] }}
    ${out}=    Fixture.Echo The Parameters    hello    times=3
    Should Be Equal    ${out.action}    fixture.echo
    Should Be Equal    ${out.params}    ${{ {"text": "hello", "times": 3} }}
    Run Keyword And Expect Error    Keyword 'Fixture.Echo The Parameters' expected 1 non-named argument, got 2.
    ...    Fixture.Echo The Parameters    hello    colour=red

A Failing Action Fails With Its Message, Field And Hint
    Run Keyword And Expect Error
    ...    EQUALS: FIXTURE_FAILED: The fixture failed on purpose. [field reason] Hint: Nothing is wrong; this action always fails.
    ...    Fixture.Fail With A Hint    because
    Run Keyword And Expect Error    EQUALS: FIXTURE_FAILED: 测试插件按要求失败。 [字段 reason] 提示：一切正常；此动作总是失败。
    ...    FixtureZh.Fail With A Hint    because

Plugin Log Lines Arrive At Their Own Level
    ${level}=    Set Log Level    DEBUG
    Clear Captured Log
    Run Keyword And Ignore Error    Fixture.Fail With A Hint    because
    Set Log Level    ${level}
    Captured Log Should Contain    ERROR    fixture: failing on purpose
    Captured Log Should Contain    WARN    fixture: about to fail
    Captured Log Should Contain    INFO    fixture: running fixture.fail
    Captured Log Should Contain    DEBUG    fixture: * bytes of params


*** Keywords ***
Import The Fixture Plugin
    Skip If    not $FIXTURE_PLUGIN
    ...    the three-action fixture plugin is not built (tests/robot_framework.rs builds it; or give --variable FIXTURE_PLUGIN:PATH)
    Import Library    DingTalkRobotLibrary    ${FIXTURE_PLUGIN}    AS    Fixture
    Import Library    DingTalkRobotLibrary    ${FIXTURE_PLUGIN}    language=zh-CN    AS    FixtureZh
    ${fixture}=    Get Library Instance    Fixture
    Set Suite Variable    ${FIXTURE}    ${fixture}
