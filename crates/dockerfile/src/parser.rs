//! The Dockerfile grammar as BuildKit reads it: parser directives, the escape character,
//! continuation lines (with comments and blank lines inside), per-instruction argument
//! parsing and heredocs. Each instruction keeps the same argument split that BuildKit's AST
//! has, so [`crate::dump`] prints BuildKit's own node dump.

use crate::shell::{Lex, LexError, NoEnv};

/// A parse failure with the 1-based line BuildKit reports it on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based.
    pub line: usize,
    /// BuildKit's wording where it has one.
    pub message: String,
}

/// A `# name=value` parser directive from the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower case: `syntax`, `escape`, `check`.
    pub name: String,
    /// As written, trimmed.
    pub value: String,
    /// 1-based.
    pub line: usize,
}

/// A comment line, kept so lint pragmas (`# hadolint ignore=…`) can be honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// 1-based.
    pub line: usize,
    /// The text after `#`.
    pub text: String,
}

/// A heredoc attached to RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heredoc {
    /// The delimiter word (`EOF`).
    pub name: String,
    /// The body as written, up to the terminator.
    pub content: String,
    /// Variables in the body are expanded (the delimiter was not quoted).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// The descriptor it feeds (`3<<EOF`); 0 is standard input.
    pub file_descriptor: u32,
}

impl Heredoc {
    /// The body as the builder uses it (leading tabs removed for `<<-`).
    pub fn body(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        self.content
            .split_inclusive('\n')
            .map(|l| l.trim_start_matches('\t'))
            .collect()
    }
}

/// One instruction with BuildKit's argument split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The keyword as written (`RUN`, `run`, …).
    pub keyword: String,
    /// `--name=value` flags before the arguments.
    pub flags: Vec<String>,
    /// Arguments, split the way the instruction's BuildKit parser splits them. ENV and LABEL
    /// come as (key, value, separator) triples.
    pub args: Vec<String>,
    /// The instruction wrapped by ONBUILD.
    pub sub: Option<Box<Instruction>>,
    /// Exec (JSON array) form.
    pub json: bool,
    /// The logical line after continuations were joined, without flags removed.
    pub original: String,
    /// Heredocs in the order they appear.
    pub heredocs: Vec<Heredoc>,
    /// The first line of the instruction, 1-based.
    pub start_line: usize,
    /// Its last line, continuations and heredocs included.
    pub end_line: usize,
}

impl Instruction {
    /// The keyword in lower case.
    pub fn name(&self) -> String {
        self.keyword.to_ascii_lowercase()
    }

    /// Whether it is `keyword`, whatever the case.
    pub fn is(&self, keyword: &str) -> bool {
        self.keyword.eq_ignore_ascii_case(keyword)
    }

    /// The argument text after the keyword and flags, as written on the joined line.
    pub fn rest(&self) -> String {
        split_command(&self.original)
            .map(|(_, _, rest)| rest)
            .unwrap_or_default()
    }

    /// The value of a `--name=value` flag.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find_map(|f| {
            let f = f.strip_prefix("--")?;
            match f.split_once('=') {
                Some((k, v)) if k == name => Some(v),
                None if f == name => Some(""),
                _ => None,
            }
        })
    }

    /// ENV or LABEL key/value pairs.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.args
            .chunks(3)
            .filter(|c| c.len() >= 2)
            .map(|c| (c[0].as_str(), c[1].as_str()))
            .collect()
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    /// In file order.
    pub instructions: Vec<Instruction>,
    /// The parser directives at the top.
    pub directives: Vec<Directive>,
    /// Every comment line.
    pub comments: Vec<Comment>,
    /// The escape character (`\\` unless `# escape=` says otherwise).
    pub escape: char,
    /// Lines ending a continuation with nothing after them, which BuildKit warns about.
    pub empty_continuation_lines: Vec<usize>,
}

struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
    parsed: Vec<Directive>,
}

impl Directives {
    fn check(&mut self, line: &str, line_no: usize) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = directive(line) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "escape" | "syntax" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&name) {
            return Err(format!("only one {name} parser directive can be used"));
        }
        self.seen.push(name.clone());
        if name == "escape" {
            if value != "`" && value != "\\" {
                return Err(format!("invalid escape token '{value}' does not match ` or \\"));
            }
            self.escape = value.chars().next().unwrap_or('\\');
        }
        self.parsed.push(Directive {
            name,
            value: value.to_string(),
            line: line_no,
        });
        Ok(())
    }
}

/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = rest[name_len..].trim_start().strip_prefix('=')?.trim();
    (!value.is_empty()).then_some((name, value))
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn is_comment(s: &str) -> bool {
    trim_newline(s).trim_start().starts_with('#')
}

/// Strips a trailing (unescaped) escape character; `false` means the line continues.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    let run = body.chars().rev().take_while(|&c| c == escape).count();
    if run % 2 == 1 {
        (body[..body.len() - escape.len_utf8()].to_string(), false)
    } else {
        (line.to_string(), true)
    }
}

const MAX_LINE: usize = 64 * 1024;

/// Parses a Dockerfile.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // BuildKit reads lines with a 64 KiB scanner buffer.
    if let Some(n) = lines.iter().position(|l| l.len() > MAX_LINE) {
        return Err(ParseError {
            line: n + 1,
            message: format!(
                "dockerfile line greater than max allowed size of {}",
                MAX_LINE - 1
            ),
        });
    }
    let mut d = Directives {
        escape: '\\',
        done: false,
        seen: Vec::new(),
        parsed: Vec::new(),
    };
    let mut out = Dockerfile::default();
    let mut current = 0usize;
    let mut i = 0usize;
    let fail = |line: usize, message: String| ParseError { line, message };

    while i < lines.len() {
        let raw = lines[i];
        i += 1;
        let token = trim_newline(raw).trim_start();
        if is_comment(raw) {
            out.comments.push(Comment {
                line: current + 1,
                text: token[1..].trim().to_string(),
            });
        }
        d.check(token, current + 1).map_err(|m| fail(current + 1, m))?;
        let token = if is_comment(token) { "" } else { token };
        current += 1;
        let start_line = current;
        let (first, mut end) = trim_continuation(token, d.escape);
        if end && first.is_empty() {
            continue;
        }
        let mut line = first;
        while !end && i < lines.len() {
            let raw = lines[i];
            i += 1;
            let token = trim_newline(raw);
            d.check(token, current + 1).map_err(|m| fail(current + 1, m))?;
            current += 1;
            if is_comment(raw) {
                out.comments.push(Comment {
                    line: current,
                    text: token.trim_start()[1..].trim().to_string(),
                });
                continue;
            }
            if token.trim_start().is_empty() {
                out.empty_continuation_lines.push(current);
                continue;
            }
            let (cont, e) = trim_continuation(token, d.escape);
            line.push_str(&cont);
            end = e;
        }

        let mut inst = node_from_line(&line, d.escape).map_err(|m| fail(start_line, m))?;
        if can_contain_heredoc(&inst) && line.contains("<<") {
            let docs = heredocs_from_line(&line).map_err(|m| fail(start_line, m.0))?;
            for mut doc in docs {
                let mut terminated = false;
                while i < lines.len() {
                    let raw = lines[i];
                    i += 1;
                    current += 1;
                    let mut candidate = trim_newline(raw);
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    doc.content.push_str(raw);
                }
                if !terminated {
                    return Err(fail(start_line, "unterminated heredoc".into()));
                }
                inst.heredocs.push(doc);
            }
        }
        inst.start_line = start_line;
        inst.end_line = current;
        out.instructions.push(inst);
    }
    if out.instructions.is_empty() {
        return Err(fail(current.max(1), "file with no instructions".into()));
    }
    out.escape = d.escape;
    out.directives = d.parsed;
    Ok(out)
}

fn can_contain_heredoc(inst: &Instruction) -> bool {
    let target = match &inst.sub {
        Some(sub) if inst.is("onbuild") => sub,
        _ => inst,
    };
    ["add", "copy", "run"].iter().any(|k| target.is(k)) && !target.json
}

fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Keyword, flags and argument text of a joined line.
fn split_command(line: &str) -> Result<(String, Vec<String>, String), String> {
    let line = line.trim();
    match line.find(is_space) {
        None => Ok((line.to_string(), Vec::new(), String::new())),
        Some(at) => {
            let cmd = &line[..at];
            let rest = line[at..].trim_start_matches(is_space);
            let (args, flags) = extract_flags(rest);
            Ok((cmd.to_string(), flags, args.trim().to_string()))
        }
    }
}

/// Leading `--flag` words; returns the remaining text and the flags.
fn extract_flags(line: &str) -> (String, Vec<String>) {
    let b = line.as_bytes();
    let mut words = Vec::new();
    let mut word = Vec::<u8>::new();
    let mut blank_ok = false;
    let mut quote = 0u8;
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut phase = Phase::Spaces;
    let mut pos = 0;
    let push = |words: &mut Vec<String>, w: &[u8]| words.push(String::from_utf8_lossy(w).into_owned());
    loop {
        let at_end = pos >= b.len();
        let ch = if at_end { 0 } else { b[pos] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if (ch as char).is_ascii_whitespace() {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == b.len() || b[pos + 1] != b'-' {
                return (line[pos..].to_string(), words);
            }
            phase = Phase::Word;
        }
        if at_end {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                push(&mut words, &word);
            }
            break;
        }
        if phase == Phase::Word {
            if (ch as char).is_ascii_whitespace() {
                phase = Phase::Spaces;
                if word == b"--" {
                    return (line[pos..].to_string(), words);
                }
                if blank_ok || !word.is_empty() {
                    push(&mut words, &word);
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            if ch == b'\\' {
                if pos + 1 == b.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
            }
            word.push(b[pos]);
            pos += 1;
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        if ch == b'\\' {
            if pos + 1 == b.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
        }
        word.push(b[pos]);
        pos += 1;
    }
    (String::new(), words)
}

fn node_from_line(line: &str, escape: char) -> Result<Instruction, String> {
    let (keyword, flags, rest) = split_command(line)?;
    let mut inst = Instruction {
        keyword,
        flags,
        args: Vec::new(),
        sub: None,
        json: false,
        original: line.to_string(),
        heredocs: Vec::new(),
        start_line: 0,
        end_line: 0,
    };
    match inst.name().as_str() {
        "add" | "copy" | "volume" => match parse_json(&rest)? {
            Some(items) => (inst.args, inst.json) = (items, true),
            None => inst.args = split_whitespace(&rest),
        },
        "cmd" | "entrypoint" | "run" | "shell" => (inst.args, inst.json) = maybe_json(&rest)?,
        "arg" => inst.args = parse_words(&rest, escape),
        "env" => inst.args = parse_name_val(&rest, "ENV", escape)?,
        "label" => inst.args = parse_name_val(&rest, "LABEL", escape)?,
        "expose" | "from" => inst.args = split_whitespace(&rest),
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if !rest.is_empty() {
                inst.args = vec![rest];
            }
        }
        "healthcheck" => {
            let sep = rest.find(|c: char| c.is_ascii_whitespace()).unwrap_or(rest.len());
            if sep > 0 {
                let kind = rest[..sep].to_string();
                let (cmd, json) = maybe_json(rest[sep..].trim_start())?;
                inst.args = std::iter::once(kind).chain(cmd).collect();
                inst.json = json;
            }
        }
        "onbuild" => {
            if !rest.is_empty() {
                inst.sub = Some(Box::new(node_from_line(&rest, escape)?));
            }
        }
        // BuildKit keeps unknown instructions with one empty argument and rejects them later.
        _ => inst.args = vec![String::new()],
    }
    Ok(inst)
}

fn split_whitespace(rest: &str) -> Vec<String> {
    rest.split(is_space)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

const NOT_STRING_ARRAY: &str = "when using JSON array syntax, arrays must be comprised of strings only";

/// `Some` when `rest` starts with a JSON array of strings. Like Go's `json.Decoder`, anything
/// after the array is ignored.
fn parse_json(rest: &str) -> Result<Option<Vec<String>>, String> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Vec<serde_json::Value>>();
    match stream.next() {
        Some(Ok(values)) => values
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                _ => Err(NOT_STRING_ARRAY.to_string()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        _ => Ok(None),
    }
}

fn maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    Ok(match parse_json(rest)? {
        Some(items) => (items, true),
        None => (vec![rest.to_string()], false),
    })
}

/// BuildKit's `parseWords`: splits on whitespace, keeping quotes and escapes in the words.
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_quote: Option<char> = None;
    let mut in_word = false;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= chars.len() {
        if pos == chars.len() {
            if in_word && (blank_ok || !word.is_empty()) {
                words.push(std::mem::take(&mut word));
            }
            break;
        }
        let ch = chars[pos];
        if !in_word {
            if ch.is_whitespace() {
                pos += 1;
                continue;
            }
            in_word = true;
        }
        match in_quote {
            None => {
                if ch.is_whitespace() {
                    in_word = false;
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    blank_ok = false;
                    pos += 1;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    in_quote = Some(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    if pos + 1 == chars.len() {
                        pos += 1;
                        continue;
                    }
                    word.push(ch);
                    pos += 1;
                }
                word.push(chars[pos]);
            }
            Some(q) => {
                if ch == q {
                    in_quote = None;
                }
                if ch == escape && q != '\'' {
                    if pos + 1 == chars.len() {
                        in_quote = None;
                        pos += 1;
                        continue;
                    }
                    word.push(ch);
                    pos += 1;
                }
                word.push(chars[pos]);
            }
        }
        pos += 1;
    }
    words
}

fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    if !words[0].contains('=') {
        let mut parts = rest.splitn(2, is_space);
        let name = parts.next().unwrap_or_default();
        let value = parts.next().map(|v| v.trim_start_matches(is_space));
        return match value {
            Some(v) => Ok(vec![name.to_string(), v.to_string(), String::new()]),
            None => Err(format!("{key} must have two arguments")),
        };
    }
    let mut out = Vec::new();
    for word in words {
        let Some((k, v)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in \"{word}\". Must be of the form: name=value"
            ));
        };
        out.extend([k.to_string(), v.to_string(), "=".to_string()]);
    }
    Ok(out)
}

/// The heredocs an instruction line opens, in order.
pub fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, LexError> {
    let mut lex = Lex::new('\\');
    lex.raw_quotes = true;
    lex.raw_escapes = true;
    lex.skip_unset_env = true;
    let words = lex.process_words(line, &NoEnv).unwrap_or_default();
    let mut docs = Vec::new();
    let mut k = 0;
    while k < words.len() {
        let mut word = words[k].clone();
        // `<< EOF` and `<<- EOF`: the delimiter is the next word.
        let bare = word.trim_start_matches(|c: char| c.is_ascii_digit());
        if (bare == "<<" || bare == "<<-") && k + 1 < words.len() {
            word = format!("{word} {}", words[k + 1]);
            k += 1;
        }
        if let Some(doc) = parse_heredoc(&word)? {
            docs.push(doc);
        }
        k += 1;
    }
    Ok(docs)
}

/// Reads one heredoc opener (`<<EOF`, `3<<-'EOF'`, …); `None` when `src` is not one.
pub fn parse_heredoc(src: &str) -> Result<Option<Heredoc>, LexError> {
    let digits = src.len() - src.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = src[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = src[..digits].parse::<u32>().unwrap_or(0);
    let mut lex = Lex::new('\\');
    lex.skip_unset_env = true;
    let words = lex.process_words(rest, &NoEnv)?;
    if words.len() != 1 {
        return Ok(None);
    }
    lex.raw_quotes = true;
    let raw = lex.process_words(rest, &NoEnv)?;
    if raw.len() != words.len() {
        return Err(LexError(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        )));
    }
    let quotes = |s: &str| s.matches(['\'', '"']).count();
    Ok(Some(Heredoc {
        name: words[0].clone(),
        content: String::new(),
        expand: quotes(&words[0]) == quotes(&raw[0]),
        chomp,
        file_descriptor: fd,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_only_at_the_top() {
        let f = parse("# escape=`\n# syntax=x\nFROM a\n# escape=\\\nRUN b `\n  c\n").unwrap();
        assert_eq!(f.escape, '`');
        assert_eq!(f.directives.len(), 2);
        assert_eq!(f.instructions[1].args, ["b   c"]);
        let e = parse("# escape=`\n# escape=\\\nFROM a\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "only one escape parser directive can be used")
        );
        assert!(
            parse("# escape=x\nFROM a\n")
                .unwrap_err()
                .message
                .contains("invalid escape token")
        );
    }

    #[test]
    fn over_long_lines_are_rejected() {
        let text = format!("FROM a\nRUN {}\n", "x".repeat(70_000));
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn heredocs_and_unknown_instructions() {
        let f = parse("FROM a\nRUN <<-EOT bash\n\techo hi\n\tEOT\nFOO bar\n").unwrap();
        assert_eq!(f.instructions[1].heredocs[0].body(), "echo hi\n");
        assert_eq!(crate::dump::instruction(&f.instructions[2]), "foo \"\"");
        assert_eq!(
            parse("FROM a\nRUN <<EOF\nx\n").unwrap_err().message,
            "unterminated heredoc"
        );
    }
}
