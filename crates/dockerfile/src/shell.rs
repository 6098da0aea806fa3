//! BuildKit's shell-word lexer: the small subset of sh that Dockerfile instructions use to split
//! words and expand `$VAR`, `${VAR}` and `${VAR<modifier>…}`.
//!
//! This is not a shell. It follows BuildKit's `shell.Lex`, quirks included (a `\` that escapes
//! anything outside quotes, no command substitution), because that is what decides what
//! `FROM ${BASE}` or a heredoc delimiter means to the builder.

use std::collections::HashMap;

/// A lexing or expansion error, worded as BuildKit words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LexError(pub String);

/// Where variable values come from.
pub trait Env {
    /// The value of `name`, if it is set.
    fn get(&self, name: &str) -> Option<String>;
}

impl Env for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

/// No variables at all.
pub struct NoEnv;

impl Env for NoEnv {
    fn get(&self, _: &str) -> Option<String> {
        None
    }
}

/// Lexer settings, as in BuildKit.
#[derive(Debug, Clone, Copy)]
pub struct Lex {
    /// The escape character in force (`\\` or `` ` ``).
    pub escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Leave unset variables as written instead of expanding them to "".
    pub skip_unset_env: bool,
}

impl Lex {
    /// BuildKit's defaults for word processing with this escape character.
    pub fn new(escape: char) -> Self {
        Lex {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset_env: false,
        }
    }

    /// Expands `word` into one string, keeping whitespace.
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<String, LexError> {
        self.run(word, env).map(|(w, _)| w)
    }

    /// Expands and splits `word` into words the way BuildKit does for exec-less arguments.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, LexError> {
        self.run(word, env).map(|(_, ws)| ws)
    }

    fn run(&self, source: &str, env: &dyn Env) -> Result<(String, Vec<String>), LexError> {
        let mut w = ShellWord {
            chars: source.chars().collect(),
            pos: 0,
            lex: *self,
            env,
        };
        w.process_stop_on(&[], false)
            .map_err(|e| LexError(format!("failed to process \"{source}\": {}", e.0)))
    }
}

struct ShellWord<'a> {
    chars: Vec<char>,
    pos: usize,
    lex: Lex,
    env: &'a dyn Env,
}

#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }
    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(std::mem::take(&mut self.word));
        }
        self.words
    }
}

fn err(msg: impl Into<String>) -> LexError {
    LexError(msg.into())
}

/// Largest expansion of one word: BuildKit's own line limit. Variables that double each other
/// (`ARG B=$A$A`, `ARG C=$B$B`, …) would otherwise grow without end from a few bytes of input.
pub const MAX_EXPANSION: usize = 64 << 10;

fn check_size(buffer: &str) -> Result<(), LexError> {
    if buffer.len() > MAX_EXPANSION {
        return Err(err(format!("expansion larger than {} KiB", MAX_EXPANSION >> 10)));
    }
    Ok(())
}

impl ShellWord<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads until one of `stops` (consumed) or the end. With `stops` non-empty, reaching the
    /// end is an error. `raw_escapes` keeps escape characters, as patterns need them.
    fn process_stop_on(
        &mut self,
        stops: &[char],
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), LexError> {
        let mut result = String::new();
        let mut words = Words::default();
        let raw_escapes = raw_escapes || self.lex.raw_escapes;
        while let Some(ch) = self.peek() {
            check_size(&result)?;
            if stops.contains(&ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            match ch {
                '$' => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                    words.add_string(&value);
                }
                '\'' => {
                    let value = self.process_single_quote()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                '"' => {
                    let value = self.process_double_quote()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                _ => {
                    let mut ch = self.next().unwrap_or_default();
                    if ch == self.lex.escape {
                        if raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        match self.next() {
                            None => break,
                            Some(c) => ch = c,
                        }
                        words.add_raw_char(ch);
                    } else {
                        words.add_char(ch);
                    }
                    result.push(ch);
                }
            }
        }
        if let Some(stop) = stops.first() {
            return Err(err(format!(
                "unexpected end of statement while looking for matching {stop}"
            )));
        }
        Ok((result, words.finish()))
    }

    fn process_single_quote(&mut self) -> Result<String, LexError> {
        let mut result = String::new();
        let open = self.next().unwrap_or('\'');
        if self.lex.raw_quotes {
            result.push(open);
        }
        loop {
            match self.next() {
                None => {
                    return Err(err(
                        "unexpected end of statement while looking for matching single-quote",
                    ));
                }
                Some('\'') => {
                    if self.lex.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> Result<String, LexError> {
        let mut result = String::new();
        let open = self.next().unwrap_or('"');
        if self.lex.raw_quotes {
            result.push(open);
        }
        loop {
            check_size(&result)?;
            match self.peek() {
                None => {
                    return Err(err(
                        "unexpected end of statement while looking for matching double-quote",
                    ));
                }
                Some('"') => {
                    self.next();
                    if self.lex.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                }
                Some(_) => {
                    let mut ch = self.next().unwrap_or_default();
                    if ch == self.lex.escape {
                        if self.lex.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.lex.escape => {
                                ch = c;
                                self.next();
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.env.get(name)
    }

    fn process_dollar(&mut self) -> Result<String, LexError> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.lookup(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err(err("syntax error: missing '}'")),
            Some('{' | '}' | ':') => return Err(err("syntax error: bad substitution")),
            _ => {}
        }
        let name = self.process_name();
        let Some(mut ch) = self.next() else {
            return Err(err("syntax error: missing '}'"));
        };
        let mut modifier = ch.to_string();
        match ch {
            '}' => Ok(match self.lookup(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = ch == ':';
                if null_is_unset {
                    ch = self.next().ok_or_else(|| err("syntax error: missing '}'"))?;
                    modifier.push(ch);
                }
                if !matches!(ch, '+' | '-' | '?' | '#' | '%') {
                    return Err(err(format!("unsupported modifier ({modifier}) in substitution")));
                }
                let pattern_like = ch == '#' || ch == '%';
                if null_is_unset && pattern_like {
                    return Err(err(format!("unsupported modifier ({modifier}) in substitution")));
                }
                let (word, _) = self.process_stop_on(&['}'], pattern_like).map_err(|e| {
                    if self.peek().is_none() {
                        err("syntax error: missing '}'")
                    } else {
                        e
                    }
                })?;
                let value = self.lookup(&name);
                if self.lex.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{modifier}{word}}}"));
                }
                let empty = value.as_deref().is_none_or(|v| null_is_unset && v.is_empty());
                match ch {
                    '-' => Ok(if empty { word } else { value.unwrap_or_default() }),
                    '+' => Ok(if empty { String::new() } else { word }),
                    '?' => match value {
                        None => Err(err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be unset"
                            } else {
                                &word
                            }
                        ))),
                        Some(v) if null_is_unset && v.is_empty() => Err(err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be empty"
                            } else {
                                &word
                            }
                        ))),
                        Some(v) => Ok(v),
                    },
                    _ => {
                        let value = value.unwrap_or_default();
                        let (greedy, pattern) = match word.strip_prefix(ch) {
                            Some(rest) => (true, rest.to_string()),
                            None => (false, word),
                        };
                        let pattern = Pattern::parse(&pattern, self.lex.escape);
                        Ok(if ch == '#' {
                            trim_prefix(&pattern, &value, greedy)
                        } else {
                            trim_suffix(&pattern, &value, greedy)
                        })
                    }
                }
            }
            '/' => {
                let all = self.peek() == Some('/');
                if all {
                    self.next();
                }
                let (pattern, _) = self.process_stop_on(&['/'], true).map_err(|e| {
                    if self.peek().is_none() {
                        err("syntax error: missing '/' in ${}")
                    } else {
                        e
                    }
                })?;
                let (replacement, _) = self.process_stop_on(&['}'], true).map_err(|e| {
                    if self.peek().is_none() {
                        err("syntax error: missing '}'")
                    } else {
                        e
                    }
                })?;
                let Some(value) = self.lookup(&name) else {
                    if self.lex.skip_unset_env {
                        return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                    }
                    return Ok(String::new());
                };
                Ok(replace(
                    &Pattern::parse(&pattern, self.lex.escape),
                    &value,
                    &replacement,
                    all,
                ))
            }
            _ => Err(err(format!("unsupported modifier ({modifier}) in substitution"))),
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(|c| c.is_ascii_digit()) {
                    name.push(d);
                    self.next();
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.next();
        }
        name
    }
}

/// A shell glob (`*`, `?`, `[…]`, escapes) as used by `${x#pat}`, `${x%pat}` and `${x/pat/r}`.
#[derive(Debug)]
enum PatternItem {
    Any,
    One,
    Class(Vec<(char, char)>, bool),
    Lit(char),
}

struct Pattern(Vec<PatternItem>);

impl Pattern {
    fn parse(p: &str, escape: char) -> Pattern {
        let chars: Vec<char> = p.chars().collect();
        let mut items = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '*' => items.push(PatternItem::Any),
                '?' => items.push(PatternItem::One),
                '[' => {
                    if let Some((class, end)) = parse_class(&chars, i) {
                        items.push(class);
                        i = end;
                    } else {
                        items.push(PatternItem::Lit('['));
                    }
                }
                c if c == escape && i + 1 < chars.len() => {
                    i += 1;
                    items.push(PatternItem::Lit(chars[i]));
                }
                c => items.push(PatternItem::Lit(c)),
            }
            i += 1;
        }
        Pattern(items)
    }

    fn matches(&self, s: &[char]) -> bool {
        fn go(p: &[PatternItem], s: &[char]) -> bool {
            match p.split_first() {
                None => s.is_empty(),
                Some((PatternItem::Any, rest)) => (0..=s.len()).any(|k| go(rest, &s[k..])),
                Some((item, rest)) => match s.split_first() {
                    None => false,
                    Some((c, srest)) => {
                        let ok = match item {
                            PatternItem::One => true,
                            PatternItem::Lit(l) => l == c,
                            PatternItem::Class(ranges, negated) => {
                                ranges.iter().any(|(a, b)| (a..=b).contains(&c)) != *negated
                            }
                            PatternItem::Any => unreachable!(),
                        };
                        ok && go(rest, srest)
                    }
                },
            }
        }
        go(&self.0, s)
    }
}

fn parse_class(chars: &[char], start: usize) -> Option<(PatternItem, usize)> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let first = i;
    while i < chars.len() {
        if chars[i] == ']' && i > first {
            return Some((PatternItem::Class(ranges, negated), i));
        }
        let a = chars[i];
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|c| *c != ']') {
            ranges.push((a, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((a, a));
            i += 1;
        }
    }
    None
}

fn trim_prefix(p: &Pattern, value: &str, greedy: bool) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut lens: Vec<usize> = (0..=chars.len()).collect();
    if greedy {
        lens.reverse();
    }
    for n in lens {
        if p.matches(&chars[..n]) {
            return chars[n..].iter().collect();
        }
    }
    value.to_string()
}

fn trim_suffix(p: &Pattern, value: &str, greedy: bool) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut starts: Vec<usize> = (0..=chars.len()).rev().collect();
    if greedy {
        starts.reverse();
    }
    for s in starts {
        if p.matches(&chars[s..]) {
            return chars[..s].iter().collect();
        }
    }
    value.to_string()
}

fn replace(p: &Pattern, value: &str, replacement: &str, all: bool) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut replaced = false;
    while i <= chars.len() {
        if (!replaced || all)
            && let Some(end) = (i..=chars.len()).rev().find(|&e| p.matches(&chars[i..e]))
            && (end > i || !p.0.is_empty())
        {
            out.push_str(replacement);
            replaced = true;
            if end > i {
                i = end;
                continue;
            }
        }
        if i < chars.len() {
            out.push(chars[i]);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn splits_and_expands() {
        let e = env(&[("A", "x y")]);
        let lex = Lex::new('\\');
        assert_eq!(lex.process_words("a$A\"$A\"", &e).unwrap(), ["ax", "yx y"]);
        assert_eq!(lex.process_word("${B:-d}/${A#x }", &e).unwrap(), "d/y");
        assert_eq!(lex.process_word("${A/ /_}", &e).unwrap(), "x_y");
        assert!(lex.process_word("'open", &e).is_err());
    }

    #[test]
    fn raw_modes_keep_quotes_and_escapes() {
        let mut lex = Lex::new('\\');
        lex.raw_quotes = true;
        lex.raw_escapes = true;
        assert_eq!(
            lex.process_words("RUN <<'EOF' a\\ b", &NoEnv).unwrap(),
            ["RUN", "<<'EOF'", "a\\ b"]
        );
    }
}
