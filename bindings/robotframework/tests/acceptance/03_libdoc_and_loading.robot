*** Settings ***
Documentation       The manifest is all the library needs: ``libdoc`` lists one keyword per
...                 action of the plugin, named from its English title and documented in both
...                 languages. Also: where the library finds the plugin file.
Variables           ../resources/paths.py
Library             OperatingSystem
Library             ../resources/SuiteTools.py
Resource            ../resources/libdoc.resource


*** Test Cases ***
Libdoc Lists Every Action Of The Plugin
    Libdoc Should List Every Action    DingTalkRobotLibrary::${PLUGIN}    ${PLUGIN_MANIFEST}    DingTalkRobotLibrary

The README's Keyword Table Is The One The Manifest Makes
    Readme Keyword Table Should Be Current    ${PLUGIN_MANIFEST}

The Plugin File Is Found Inside Or Beside The Package
    ${inside}=    Import From Package Copy    ${PLUGIN}    inside
    Should Be Equal    ${inside.path}    DingTalkRobotLibrary${/}${{ pathlib.Path($PLUGIN).name }}
    Should Be Equal    ${inside.keywords}    ${{ ["Create DingTalk Robot Connection", "Send Single-Chat Message", "Query Message Read Status", "Recall Messages", "Send Group Message", "Get User IDs By Mobile Number", "Create Custom Robot Connection", "Send Custom Robot Message", "Wait For A Reply", "Ask And Wait For An Answer"] }}
    ${beside}=    Import From Package Copy    ${PLUGIN}    beside
    Should Be Equal    ${beside.path}    ${{ pathlib.Path($PLUGIN).name }}
    ${nowhere}=    Import From Package Copy    ${PLUGIN}    nowhere
    Should Match    ${nowhere.error}    No plugin library found (looked for *). Put * beside the package or give its path*

A File That Is Not A Plugin Is Refused With Its Name
    Run Keyword And Expect Error    *${PLUGIN_MANIFEST}*
    ...    Import Library    DingTalkRobotLibrary    ${PLUGIN_MANIFEST}    AS    NotAPlugin
