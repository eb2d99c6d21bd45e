"""`crm-xl addin server`: the same functions and ribbon buttons for xlwings Server and xlwings Lite.

Writes a folder to drop into an xlwings Server project (custom_functions/, custom_scripts/,
templates/manifest.xml with a CRM ribbon tab, static/js/ribbon.js binding each button to its
script) and a lite/ folder (main.py, requirements.txt) for xlwings Lite.
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from crm_xl.addin.build import BUTTONS, SCRIPTS_MODULE, UDF_MODULES

SCRIPT_BUTTONS = [b for b in BUTTONS if b.script and not b.desktop_only]

FUNCTIONS_PY = f'''"""crm_xl custom functions for xlwings Server (category CRM)."""
import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")  # before xlwings is imported: server decorators

from {UDF_MODULES} import *  # noqa: E402,F401,F403
'''

SCRIPTS_PY = f'''"""crm_xl ribbon scripts for xlwings Server."""
import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")

from {SCRIPTS_MODULE} import {", ".join(b.script for b in SCRIPT_BUTTONS)}  # noqa: E402,F401
'''

LITE_MAIN = f'''"""crm_xl for xlwings Lite: paste into the Lite editor's main.py (requirements in requirements.txt)."""
from {UDF_MODULES} import *  # noqa: F401,F403  the custom functions
from {SCRIPTS_MODULE} import {", ".join(b.script for b in SCRIPT_BUTTONS)}  # noqa: F401  the scripts
'''

LITE_REQUIREMENTS = """# A wheel of crm-xl built with `pip wheel . --no-deps` and hosted where the add-in can fetch it:
# https://YOUR-HOST/crm_xl-0.1.0-py3-none-any.whl
pandas
numpy
openpyxl
xlsxwriter
jinja2
"""


def ribbon_js() -> str:
    parts = ["// Binds each CRM ribbon button (templates/manifest.xml) to its Python script.",
             "function crmScript(scriptName) {",
             "  return async function (event) {",
             "    try {",
             "      const auth = typeof globalThis.getAuth === \"function\" ? await globalThis.getAuth() : { token: \"\", provider: \"\" };",
             "      await xlwings.runPython({ auth: auth.token, scriptName: scriptName, headers: { \"Auth-Provider\": auth.provider } });",
             "    } finally {",
             "      event.completed();",
             "    }",
             "  };",
             "}"]
    parts += [f'Office.actions.associate("{b.id}", crmScript("{b.script}"));' for b in SCRIPT_BUTTONS]
    return "\n".join(parts) + "\n"


def manifest_xml() -> str:
    controls = "\n".join(f'''                <Control xsi:type="Button" id="{b.id}">
                  <Label resid="{b.id}.Label" />
                  <Supertip>
                    <Title resid="{b.id}.Label" />
                    <Description resid="{b.id}.Tooltip" />
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Icon.16x16" />
                    <bt:Image size="32" resid="Icon.32x32" />
                    <bt:Image size="80" resid="Icon.80x80" />
                  </Icon>
                  <Action xsi:type="ExecuteFunction">
                    <FunctionName>{b.id}</FunctionName>
                  </Action>
                </Control>''' for b in SCRIPT_BUTTONS)
    labels = "\n".join(f'        <bt:String id="{b.id}.Label" DefaultValue="{escape(b.label)}" />' for b in SCRIPT_BUTTONS)
    tips = "\n".join(f'        <bt:String id="{b.id}.Tooltip" DefaultValue="Runs {b.script} on the active workbook" />'
                     for b in SCRIPT_BUTTONS)
    return f'''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- crm_xl ribbon for xlwings Server: a template of xlwings Server's app/templates (its variables fill the URLs). -->
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
  xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="TaskPaneApp">
  <Id>{{{{ manifest_id }}}}</Id>
  <Version>1.0.0.0</Version>
  <ProviderName>crm_xl</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="CRM" />
  <Description DefaultValue="Customer scoring, grading and checking (crm_xl)" />
  <IconUrl DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/ribbon/examples/xlwings-32.png" />
  <HighResolutionIconUrl DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/ribbon/examples/xlwings-64.png" />
  <SupportUrl DefaultValue="{{{{ base_url_with_app_path }}}}/taskpane" />
  <AppDomains>
    <AppDomain>{{{{ base_url_with_app_path }}}}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook" />
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1" />
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue="{{{{ base_url_with_app_path }}}}/taskpane" />
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Taskpane.Url" lifetime="long" />
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Functions.Script.Url" />
            </Script>
            <Page>
              <SourceLocation resid="Taskpane.Url" />
            </Page>
            <Metadata>
              <SourceLocation resid="Functions.Metadata.Url" />
            </Metadata>
            <Namespace resid="Functions.Namespace" />
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <FunctionFile resid="Taskpane.Url" />
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <CustomTab id="crmTab">
              <Group id="crmGroup">
                <Label resid="crmGroup.Label" />
                <Icon>
                  <bt:Image size="16" resid="Icon.16x16" />
                  <bt:Image size="32" resid="Icon.32x32" />
                  <bt:Image size="80" resid="Icon.80x80" />
                </Icon>
{controls}
              </Group>
              <Label resid="crmTab.Label" />
            </CustomTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
        <bt:Image id="Icon.16x16" DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/ribbon/examples/xlwings-16.png" />
        <bt:Image id="Icon.32x32" DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/ribbon/examples/xlwings-32.png" />
        <bt:Image id="Icon.80x80" DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/ribbon/examples/xlwings-80.png" />
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Taskpane.Url" DefaultValue="{{{{ base_url_with_app_path }}}}/taskpane" />
        <bt:Url id="Functions.Script.Url" DefaultValue="{{{{ base_url_with_app_path }}}}/xlwings/custom-functions-code" />
        <bt:Url id="Functions.Metadata.Url" DefaultValue="{{{{ base_url_with_app_path }}}}/xlwings/custom-functions-meta" />
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="Functions.Namespace" DefaultValue="CRM" />
        <bt:String id="crmTab.Label" DefaultValue="CRM" />
        <bt:String id="crmGroup.Label" DefaultValue="Customers" />
{labels}
      </bt:ShortStrings>
      <bt:LongStrings>
{tips}
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>
'''


def write_server_package(folder: Path) -> list[Path]:
    files = {
        "custom_functions/crm.py": FUNCTIONS_PY,
        "custom_scripts/crm.py": SCRIPTS_PY,
        "templates/manifest.xml": manifest_xml(),
        "static/js/ribbon.js": ribbon_js(),
        "lite/main.py": LITE_MAIN,
        "lite/requirements.txt": LITE_REQUIREMENTS,
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        written.append(path)
    return written
