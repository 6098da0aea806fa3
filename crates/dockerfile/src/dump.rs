//! BuildKit's AST dump notation: `(keyword ["--flag"…] "arg" …)`, one line per instruction.

use crate::parser::{Dockerfile, Instruction};

/// The whole file, one instruction per line, as BuildKit's `Node.Dump` prints it.
pub fn dump(file: &Dockerfile) -> String {
    file.instructions
        .iter()
        .map(|i| format!("({})\n", instruction(i)))
        .collect()
}

/// One instruction without the enclosing parentheses.
pub fn instruction(inst: &Instruction) -> String {
    let mut s = inst.keyword.to_lowercase();
    if !inst.flags.is_empty() {
        let flags: Vec<String> = inst.flags.iter().map(|f| go_quote(f)).collect();
        s.push_str(&format!(" [{}]", flags.join(" ")));
    }
    if let Some(sub) = &inst.sub {
        s.push_str(&format!(" ({})", instruction(sub)));
    }
    for a in &inst.args {
        s.push(' ');
        s.push_str(&go_quote(a));
    }
    s.trim().to_string()
}

/// Go's `strconv.Quote`: printable characters as they are, the rest escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() || c == '\u{feff}' => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
