; UpscalerSetup.exe: the Windows setup of the AI Upscale plug-ins, built by build.sh with makensis.
;
; It installs the published upscaler-setup folder (win-x64, self-contained: the tool, its payload and
; SHA256SUMS) into Program Files and then lets upscaler-setup do the real work, so checksums,
; receipts, all-or-nothing installs and exact uninstalls behave as on the command line.
;
; Defines (from build.sh): VERSION, PAYLOAD_DIR (the published folder), OUT_FILE, WITH_PAINTDOTNET
; (only when the payload carries the Paint.NET effect, i.e. it was built on Windows).
;
; Silent use:  UpscalerSetup.exe /S [/NOGIMP] [/NOPAINTDOTNET] [/GIMPDIR=folder] [/PDNDIR=folder] [/D=install folder]
;              "%ProgramFiles%\Upscaler\uninstall.exe" /S
; The exit code is 0 on success and 2 when upscaler-setup refused (its one-line error is in the log).

; A 64-bit installer: the payload is win-x64 anyway, and it runs under a plain 64-bit Wine for testing.
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel admin

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef PAYLOAD_DIR
  !error "define PAYLOAD_DIR: the folder from dotnet publish installer/Upscaler.Installer -r win-x64"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "UpscalerSetup.exe"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Upscaler"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"
!include "x64.nsh"

Name "AI Upscale ${VERSION}"
OutFile "${OUT_FILE}"
InstallDir "$PROGRAMFILES64\Upscaler"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "Upscaler ${VERSION}"

Var GimpDir
Var PdnDir
Var GimpArgs
Var PdnArgs
Var SetupArgs
Var GimpDone
!ifdef WITH_PAINTDOTNET
  Var PdnDone
!endif

!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; The tool and its payload: always, and first.
Section "-Upscaler setup tool"
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD_DIR}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "AI Upscale for GIMP and Paint.NET"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Upscaler"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ; Where the plug-ins went, so the uninstaller removes them from the same folders.
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UpscalerGimpDir" "$GimpDir"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UpscalerPaintDotNetDir" "$PdnDir"
SectionEnd

Section "GIMP 3 plug-in" SecGimp
  StrCpy $SetupArgs $GimpArgs
  Call RunSetupInstall
  StrCpy $GimpDone 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "UpscalerGimp" 1
SectionEnd

!ifdef WITH_PAINTDOTNET
Section "Paint.NET 5 effect" SecPdn
  StrCpy $SetupArgs $PdnArgs
  Call RunSetupInstall
  StrCpy $PdnDone 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "UpscalerPaintDotNet" 1
SectionEnd
!endif

Section "-Estimated size"
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecGimp} "Filters > Enhance > AI Upscale in GIMP 3 (plug-in with its own engine; no .NET needed)."
!ifdef WITH_PAINTDOTNET
  !insertmacro MUI_DESCRIPTION_TEXT ${SecPdn} "Effects > Photo > AI Upscale in Paint.NET 5.1 or later (GPU through DirectML)."
!endif
!insertmacro MUI_FUNCTION_DESCRIPTION_END

; Runs upscaler-setup install $SetupArgs; on refusal shows its one-line error and stops with exit code 2.
Function RunSetupInstall
  DetailPrint "upscaler-setup install $SetupArgs"
  nsExec::ExecToStack '"$INSTDIR\upscaler-setup.exe" install $SetupArgs'
  Pop $0
  Pop $1
  DetailPrint "$1"
  ${If} $0 != 0
    SetErrorLevel 2
    MessageBox MB_ICONSTOP|MB_OK "$1" /SD IDOK
    Abort "upscaler-setup failed: $1"
  ${EndIf}
FunctionEnd

; The arguments naming each host: the folder given on the command line, else upscaler-setup's own search.
Function MakeHostArgs
  StrCpy $GimpArgs "--gimp"
  ${If} $GimpDir != ""
    StrCpy $GimpArgs '--gimp-dir "$GimpDir"'
  ${EndIf}
  StrCpy $PdnArgs "--paintdotnet"
  ${If} $PdnDir != ""
    StrCpy $PdnArgs '--paintdotnet-dir "$PdnDir"'
  ${EndIf}
FunctionEnd

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP|MB_OK "AI Upscale needs 64-bit Windows." /SD IDOK
    SetErrorLevel 2
    Abort
  ${EndIf}
  SetRegView 64
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/GIMPDIR=" $GimpDir
  ClearErrors
  ${GetOptions} $R0 "/PDNDIR=" $PdnDir
  Call MakeHostArgs
  ClearErrors
  ${GetOptions} $R0 "/NOGIMP" $R1
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecGimp}
  ${EndIf}
!ifdef WITH_PAINTDOTNET
  ClearErrors
  ${GetOptions} $R0 "/NOPAINTDOTNET" $R1
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SecPdn}
  ${EndIf}
!endif
FunctionEnd

; Something failed after the tool was copied: take back what this run did, leave nothing half-installed.
Function .onInstFailed
  ${If} $GimpDone == 1
    nsExec::ExecToLog '"$INSTDIR\upscaler-setup.exe" uninstall $GimpArgs'
    Pop $0
  ${EndIf}
!ifdef WITH_PAINTDOTNET
  ${If} $PdnDone == 1
    nsExec::ExecToLog '"$INSTDIR\upscaler-setup.exe" uninstall $PdnArgs'
    Pop $0
  ${EndIf}
!endif
  RMDir /r "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
FunctionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Function un.MakeHostArgs
  StrCpy $GimpArgs "--gimp"
  ${If} $GimpDir != ""
    StrCpy $GimpArgs '--gimp-dir "$GimpDir"'
  ${EndIf}
  StrCpy $PdnArgs "--paintdotnet"
  ${If} $PdnDir != ""
    StrCpy $PdnArgs '--paintdotnet-dir "$PdnDir"'
  ${EndIf}
FunctionEnd

Section "Uninstall"
  ReadRegStr $GimpDir HKLM "${UNINSTALL_KEY}" "UpscalerGimpDir"
  ReadRegStr $PdnDir HKLM "${UNINSTALL_KEY}" "UpscalerPaintDotNetDir"
  Call un.MakeHostArgs
  ReadRegDWORD $0 HKLM "${UNINSTALL_KEY}" "UpscalerGimp"
  ${If} $0 == 1
    nsExec::ExecToLog '"$INSTDIR\upscaler-setup.exe" uninstall $GimpArgs'
    Pop $1
  ${EndIf}
  ReadRegDWORD $0 HKLM "${UNINSTALL_KEY}" "UpscalerPaintDotNet"
  ${If} $0 == 1
    nsExec::ExecToLog '"$INSTDIR\upscaler-setup.exe" uninstall $PdnArgs'
    Pop $1
  ${EndIf}
  ; Only the folder this setup made: the published tool, its payload and the uninstaller.
  RMDir /r "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
SectionEnd
