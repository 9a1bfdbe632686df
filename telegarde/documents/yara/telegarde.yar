/*
  Telegarde's own YARA rules, applied to every upload as received (before any
  re-encoding) and to the decoded streams of PDFs. meta.verdict is the document's
  verdict when the rule matches: "malware" or "suspicious" (both quarantine), or a
  specific code such as "pdf_javascript".
*/

rule EICAR_Test_File
{
    meta:
        verdict = "malware"
        description = "The EICAR anti-malware test string, anywhere in the file"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar
}

rule PDF_JavaScript_Markers
{
    meta:
        verdict = "pdf_javascript"
        description = "A PDF whose uncompressed objects name JavaScript"
    strings:
        $javascript = "/JavaScript"
        $js = /\/JS\s*[(<\[]/
    condition:
        uint32be(0) == 0x25504446 and any of them
}

rule PDF_Launch_Marker
{
    meta:
        verdict = "pdf_launch"
        description = "A PDF whose uncompressed objects name a launch action"
    strings:
        $launch = "/Launch"
    condition:
        uint32be(0) == 0x25504446 and $launch
}

rule PE_Executable
{
    meta:
        verdict = "suspicious"
        description = "A Windows executable, on its own or as the start of another format (DICOM preamble polyglot)"
    condition:
        uint16(0) == 0x5A4D and uint32(0x3C) < filesize and uint32(uint32(0x3C)) == 0x00004550
}

rule PE_Embedded
{
    meta:
        verdict = "suspicious"
        description = "A Windows executable's DOS stub inside another file"
    strings:
        $dos = "This program cannot be run in DOS mode"
    condition:
        $dos
}

rule ELF_Executable
{
    meta:
        verdict = "suspicious"
        description = "An ELF executable header, at the start or inside another file"
    strings:
        $elf = { 7F 45 4C 46 (01 | 02) (01 | 02) 01 }
    condition:
        $elf
}

rule Image_With_Script
{
    meta:
        verdict = "suspicious"
        description = "A JPEG, PNG or GIF carrying script or server-side code (polyglot)"
    strings:
        $script = "<script" nocase
        $php = "<?php"
        $iframe = "<iframe" nocase
        $javascript = "javascript:" nocase
    condition:
        (uint16be(0) == 0xFFD8 or uint32be(0) == 0x89504E47 or uint32be(0) == 0x47494638)
        and any of them
}

rule Image_With_Appended_Archive
{
    meta:
        verdict = "suspicious"
        description = "A JPEG or PNG that is also a ZIP or RAR archive (polyglot)"
    strings:
        $zip_entry = { 50 4B 03 04 }
        $zip_end = { 50 4B 05 06 }
        $rar = { 52 61 72 21 1A 07 }
    condition:
        (uint16be(0) == 0xFFD8 or uint32be(0) == 0x89504E47)
        and (($zip_entry and $zip_end) or $rar)
}

rule Office_Macro
{
    meta:
        verdict = "suspicious"
        description = "An Office document carrying a VBA macro project"
    strings:
        $ooxml_vba = "vbaProject.bin" nocase
        $ole_vba = "_VBA_PROJECT" ascii wide
    condition:
        (uint32(0) == 0x04034B50 and $ooxml_vba) or (uint32be(0) == 0xD0CF11E0 and $ole_vba)
}

rule Markup_With_Script
{
    meta:
        verdict = "suspicious"
        description = "An HTML or SVG document carrying script"
    strings:
        $svg = "<svg" nocase
        $html = "<html" nocase
        $script = "<script" nocase
        $handler = /\son(load|error|click|mouseover)\s*=/ nocase
    condition:
        ($svg in (0..4096) or $html in (0..4096)) and ($script or $handler)
}
