//! RUN bodies as shell programs: every simple command with its words, found by walking
//! brush-parser's AST (and-or lists, pipelines, subshells, groups, loops, conditionals).
//!
//! When the body is not valid shell for brush (rare in practice: stray backticks, unbalanced
//! quotes), a tolerant splitter on `;`, `&&`, `||` and `|` keeps rules working on what can be
//! read instead of going silent.

use brush_parser::ast;

/// One simple command: `NAME=value … name arg …`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    /// The command name, unquoted (`apt-get`).
    pub name: String,
    /// Arguments with quotes removed.
    pub args: Vec<String>,
    /// Arguments as written (quotes kept), parallel to `args`.
    pub raw_args: Vec<String>,
    /// `NAME=value` prefixes.
    pub assignments: Vec<(String, String)>,
}

impl Command {
    /// Flag names present: `-abc` gives a, b, c; `--name=value` gives name.
    pub fn flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in self.args.iter().take_while(|a| *a != "--") {
            if let Some(long) = a.strip_prefix("--") {
                out.push(long.split('=').next().unwrap_or_default().to_string());
            } else if let Some(short) = a.strip_prefix('-') {
                out.extend(short.chars().take_while(|c| *c != '=').map(|c| c.to_string()));
            }
        }
        out
    }

    /// Whether flag `name` (`y` for `-y`, `yes` for `--yes`) is given; bundled short flags count.
    pub fn has_flag(&self, name: &str) -> bool {
        self.flags().iter().any(|f| f == name)
    }

    /// Whether any of `names` is.
    pub fn has_any_flag(&self, names: &[&str]) -> bool {
        let flags = self.flags();
        names.iter().any(|n| flags.iter().any(|f| f == n))
    }

    /// Arguments that do not start with `-` (Hadolint's `getArgsNoFlags`), leaving out the
    /// values of the command's options that take one (`apk -X URL add …`, `npm --prefix DIR
    /// install …`), so the first is the subcommand.
    pub fn args_no_flags(&self) -> Vec<&str> {
        let takes_value = value_options(&self.name);
        let mut out = Vec::new();
        let mut skip = false;
        for a in &self.args {
            if std::mem::take(&mut skip) {
                continue;
            }
            if a.starts_with('-') {
                skip = takes_value.contains(&a.as_str());
                continue;
            }
            out.push(a.as_str());
        }
        out
    }

    /// Arguments that are neither options nor the values of the options that take one
    /// ([`value_options`]); after `--`, everything is an operand.
    pub fn operands(&self) -> Vec<&str> {
        let takes_value = value_options(&self.name);
        let mut out = Vec::new();
        let mut skip = false;
        let mut after_dashdash = false;
        for a in &self.args {
            if std::mem::take(&mut skip) {
                continue;
            }
            if after_dashdash {
                out.push(a.as_str());
                continue;
            }
            if a == "--" {
                after_dashdash = true;
                continue;
            }
            if a.starts_with('-') {
                skip = !a.contains('=') && takes_value.contains(&a.as_str());
                continue;
            }
            out.push(a.as_str());
        }
        out
    }

    /// `self.name` is `name` and the first non-flag argument is one of `subcommands`.
    pub fn is_sub(&self, name: &str, subcommands: &[&str]) -> bool {
        self.name == name
            && self
                .args_no_flags()
                .first()
                .is_some_and(|s| subcommands.contains(s))
    }

    /// The argument right after the named flag (`-o value` or `--output value`) or after `=`.
    pub fn flag_value(&self, names: &[&str]) -> Option<&str> {
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            if names.contains(&a.as_str()) {
                return it.next().map(String::as_str);
            }
            if let Some((k, v)) = a.split_once('=')
                && names.contains(&k)
            {
                return Some(v);
            }
        }
        None
    }
}

/// Options that take a separate value, per package manager: what follows them is not a
/// subcommand or a package.
fn value_options(command: &str) -> &'static [&'static str] {
    match command.rsplit('/').next().unwrap_or(command) {
        "apt-get" | "apt" | "aptitude" => {
            &["-o", "--option", "-c", "--config-file", "-t", "--target-release"]
        }
        "apk" => &[
            "-X",
            "--repository",
            "-p",
            "--root",
            "--keys-dir",
            "--arch",
            "--cache-dir",
            "-t",
            "--virtual",
        ],
        "npm" => &[
            "--prefix",
            "--registry",
            "--cache",
            "--userconfig",
            "--loglevel",
            "-C",
            "--workspace",
            "-w",
            "--tag",
            "--otp",
            "--omit",
            "--include",
            "--install-strategy",
            "--scope",
        ],
        "pip" | "pip2" | "pip3" | "pipx" => &[
            "-i",
            "--index-url",
            "--extra-index-url",
            "--trusted-host",
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-e",
            "--editable",
            "--root-user-action",
            "--prefix",
            "--root",
            "--target",
            "-t",
            "--python",
            "--platform",
            "--python-version",
            "-f",
            "--find-links",
            "--src",
            "--cache-dir",
            "--log",
            "--proxy",
            "--retries",
            "--timeout",
            "--cert",
            "--client-cert",
            "--build",
            "--implementation",
            "--abi",
            "--upgrade-strategy",
            "--progress-bar",
            "--exists-action",
        ],
        "yum" | "dnf" | "microdnf" => &[
            "-c",
            "--config",
            "--installroot",
            "--releasever",
            "--enablerepo",
            "--disablerepo",
            "--repo",
            "--repoid",
            "-x",
            "--exclude",
            "--setopt",
        ],
        "zypper" => &[
            "-R",
            "--root",
            "--reposd-dir",
            "-D",
            "--cache-dir",
            "-r",
            "--repo",
            "--from",
        ],
        "go" => &["-C"],
        "yarn" => &["--cwd", "--modules-folder", "--cache-folder"],
        _ => &[],
    }
}

/// A shell program reduced to what rules need.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Every simple command, in order, nested ones included.
    pub commands: Vec<Command>,
    /// At least one pipeline joins two or more commands with `|`.
    pub has_pipe: bool,
    /// Pipelines of two or more commands, as index ranges into `commands`.
    pub pipelines: Vec<std::ops::Range<usize>>,
    /// Variables referenced (`$x`, `${x}`) anywhere, with whether the reference was unquoted
    /// in a command argument.
    pub references: Vec<(String, bool)>,
    /// Variables referenced with a default or alternative (`${x:-d}`, `${x+a}`, `${x=d}`).
    pub defaulted: Vec<String>,
    /// Variables assigned in the script (`x=…`, `export x=…`, `read x`, `for x in`).
    pub assigned: Vec<String>,
    /// brush could not read it; the commands come from the tolerant splitter.
    pub fallback: bool,
}

impl Script {
    /// Reads a RUN body as the shell would.
    pub fn parse(text: &str) -> Script {
        // The shell parser recurses once per nesting level: a body nested thousands deep would
        // overflow the stack, so such a body is read by the flat splitter instead.
        // The parser also backtracks once per unclosed `(` (each may open a subshell or an
        // arithmetic command): twenty-odd of them take seconds, doubling with each. A body
        // whose parentheses do not close cannot parse anyway.
        // And it panics on a redirection's file descriptor that does not fit an i32
        // (`8888888888> file`), which only the splitter can read.
        if nesting_depth(text) > MAX_NESTING
            || unclosed_parentheses(text) > MAX_UNCLOSED_PARENTHESES
            || oversized_descriptor(text)
        {
            let mut script = fallback(text);
            script.scan_references(text);
            return script;
        }
        let options = brush_parser::ParserOptions::default();
        let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options);
        let mut script = match parser.parse_program() {
            Ok(program) => {
                let mut s = Script::default();
                for list in &program.complete_commands {
                    s.compound_list(list);
                }
                s
            }
            Err(_) => fallback(text),
        };
        script.scan_references(text);
        script
    }

    /// Whether any command satisfies `f`.
    pub fn any(&self, f: impl Fn(&Command) -> bool) -> bool {
        self.commands.iter().any(f)
    }

    /// The commands called `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Command> + 'a {
        self.commands.iter().filter(move |c| c.name == name)
    }

    fn compound_list(&mut self, list: &ast::CompoundList) {
        for item in &list.0 {
            self.and_or(&item.0);
        }
    }

    fn and_or(&mut self, list: &ast::AndOrList) {
        self.pipeline(&list.first);
        for next in &list.additional {
            match next {
                ast::AndOr::And(p) | ast::AndOr::Or(p) => self.pipeline(p),
            }
        }
    }

    fn pipeline(&mut self, p: &ast::Pipeline) {
        let start = self.commands.len();
        for c in &p.seq {
            self.command(c);
        }
        if p.seq.len() > 1 {
            self.has_pipe = true;
            // A pipeline of compound commands only (`(( a )) | (( b ))`) holds no simple ones.
            if self.commands.len() > start {
                self.pipelines.push(start..self.commands.len());
            }
        }
    }

    fn command(&mut self, c: &ast::Command) {
        match c {
            ast::Command::Simple(s) => self.simple(s),
            ast::Command::Compound(c, _) => self.compound(c),
            ast::Command::Function(f) => self.compound(&f.body.0),
            ast::Command::ExtendedTest(..) => {}
        }
    }

    fn compound(&mut self, c: &ast::CompoundCommand) {
        match c {
            ast::CompoundCommand::BraceGroup(b) => self.compound_list(&b.list),
            ast::CompoundCommand::Subshell(s) => self.compound_list(&s.list),
            ast::CompoundCommand::ForClause(f) => {
                self.assigned.push(f.variable_name.clone());
                self.compound_list(&f.body.list);
            }
            ast::CompoundCommand::ArithmeticForClause(f) => self.compound_list(&f.body.list),
            ast::CompoundCommand::CaseClause(c) => {
                for item in &c.cases {
                    if let Some(cmd) = &item.cmd {
                        self.compound_list(cmd);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                self.compound_list(&i.condition);
                self.compound_list(&i.then);
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.compound_list(c);
                    }
                    self.compound_list(&e.body);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                self.compound_list(&w.0);
                self.compound_list(&w.1.list);
            }
            ast::CompoundCommand::Arithmetic(_) | ast::CompoundCommand::Coprocess(_) => {}
        }
    }

    fn simple(&mut self, s: &ast::SimpleCommand) {
        let mut cmd = Command::default();
        for item in s.prefix.iter().flat_map(|p| p.0.iter()) {
            if let ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) = item {
                let name = a.name.to_string();
                let value = match &a.value {
                    ast::AssignmentValue::Scalar(w) => unquote(&w.value),
                    ast::AssignmentValue::Array(_) => String::new(),
                };
                self.assigned.push(name.clone());
                cmd.assignments.push((name, value));
            }
        }
        let Some(name) = &s.word_or_name else {
            if !cmd.assignments.is_empty() {
                self.commands.push(cmd);
            }
            return;
        };
        cmd.name = unquote(&name.value);
        for item in s.suffix.iter().flat_map(|p| p.0.iter()) {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => {
                    cmd.args.push(unquote(&w.value));
                    cmd.raw_args.push(w.value.clone());
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    if matches!(
                        cmd.name.as_str(),
                        "export" | "declare" | "local" | "readonly" | "typeset"
                    ) {
                        self.assigned.push(a.name.to_string());
                    }
                    cmd.args.push(unquote(&w.value));
                    cmd.raw_args.push(w.value.clone());
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => self.compound_list(&sub.list),
                ast::CommandPrefixOrSuffixItem::IoRedirect(_) => {}
            }
        }
        if cmd.name == "read" {
            self.assigned
                .extend(cmd.args_no_flags().iter().map(|s| s.to_string()));
        }
        self.commands.push(cmd);
    }

    /// Finds `$name` / `${name…}` references and whether each stands unquoted in a command
    /// argument (outside `"…"`, `'…'` and assignments).
    fn scan_references(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let mut double = false;
        let mut word_is_assignment = false;
        let mut word_start = true;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '\\' => {
                    i += 2;
                    word_start = false;
                    continue;
                }
                '\'' if !double => {
                    while i + 1 < chars.len() && chars[i + 1] != '\'' {
                        i += 1;
                    }
                    i += 2;
                    word_start = false;
                    continue;
                }
                '"' => double = !double,
                c if (c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')')) && !double => {
                    word_start = true;
                    word_is_assignment = false;
                    i += 1;
                    continue;
                }
                '=' if !double => word_is_assignment = true,
                '$' => {
                    let (name, len) = reference_at(&chars[i + 1..]);
                    let after = chars.get(i + 2 + name.chars().count());
                    if chars.get(i + 1) == Some(&'{') && matches!(after, Some(':' | '-' | '=' | '+' | '?')) {
                        self.defaulted.push(name.clone());
                    }
                    if !name.is_empty() {
                        self.references.push((name, !double && !word_is_assignment));
                    }
                    i += 1 + len;
                    word_start = false;
                    continue;
                }
                _ => {}
            }
            if word_start && c.is_alphabetic() {
                // A word that starts with a name followed by `=` is an assignment.
                let end = chars[i..]
                    .iter()
                    .position(|c| !(c.is_alphanumeric() || *c == '_'));
                word_is_assignment = end.is_some_and(|e| chars.get(i + e) == Some(&'='));
            }
            word_start = false;
            i += 1;
        }
    }
}

/// The variable named right after a `$` (`name` or `{name…}`) and how many characters the
/// reference spans.
pub(crate) fn reference_at(rest: &[char]) -> (String, usize) {
    match rest.first() {
        Some('{') => {
            let name: String = rest[1..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            let close = rest.iter().position(|c| *c == '}').map_or(rest.len(), |p| p + 1);
            (name, close)
        }
        Some(c) if c.is_alphabetic() || *c == '_' => {
            let name: String = rest
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            let len = name.chars().count();
            (name, len)
        }
        _ => (String::new(), 0),
    }
}

/// Removes shell quoting from a word as written (`"a"'b'\c` → `abc`).
pub fn unquote(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    let mut double = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if double && !matches!(n, '"' | '\\' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(n);
                }
            }
            '"' => double = !double,
            '\'' if !double => {
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A forgiving reading for bodies brush rejects: split on control operators outside quotes,
/// then on blanks.
/// Deepest nesting the shell parser is given; real RUN bodies stay in single digits.
const MAX_NESTING: usize = 128;

/// Unclosed `(` the shell parser is given (its backtracking doubles with each).
const MAX_UNCLOSED_PARENTHESES: usize = 4;

/// Whether a run of digits directly before `<` or `>` (a redirection's file descriptor, to the
/// shell parser) is larger than an i32.
fn oversized_descriptor(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut run_start = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take()
            && matches!(b, b'<' | b'>')
            && text[start..i].parse::<i32>().is_err()
        {
            return true;
        }
    }
    false
}

/// How many `(` outside quotes are still open at the end, or were at the deepest point a
/// later `)` did not close.
fn unclosed_parentheses(text: &str) -> usize {
    let (mut open, mut quote) = (0usize, None::<char>);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\\') | (Some('"'), '\\') => {
                chars.next();
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '(') => open += 1,
            (None, ')') => open = open.saturating_sub(1),
            _ => {}
        }
    }
    open
}

/// An upper estimate of how deeply a shell text nests: brackets, `$(`, and the compound
/// keywords, each counted as one level until its closer.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for word in text.split(|c: char| c.is_whitespace() || c == ';') {
        for c in word.chars() {
            match c {
                '{' | '(' | '[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                '}' | ')' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        match word {
            "if" | "while" | "until" | "for" | "case" | "select" => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            "fi" | "done" | "esac" => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn fallback(text: &str) -> Script {
    let mut script = Script {
        fallback: true,
        ..Script::default()
    };
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    let flush_word = |words: &mut Vec<String>, word: &mut String| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    let finish = |script: &mut Script, words: &mut Vec<String>| {
        let mut cmd = Command::default();
        let mut it = std::mem::take(words).into_iter().peekable();
        while let Some(w) = it.next_if(|w| w.contains('=') && !w.starts_with('-')) {
            let (k, v) = w.split_once('=').unwrap_or_default();
            cmd.assignments.push((k.to_string(), unquote(v)));
        }
        if let Some(name) = it.next() {
            cmd.name = unquote(&name);
            for w in it {
                cmd.args.push(unquote(&w));
                cmd.raw_args.push(w);
            }
        }
        if !cmd.name.is_empty() || !cmd.assignments.is_empty() {
            script.commands.push(cmd);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            '\'' | '"' | '`' => {
                word.push(c);
                for n in chars.by_ref() {
                    word.push(n);
                    if n == c {
                        break;
                    }
                }
            }
            ';' | '&' | '|' | '\n' => {
                if c == '|' && chars.peek() != Some(&'|') {
                    script.has_pipe = true;
                }
                if matches!(c, '&' | '|') && chars.peek() == Some(&c) {
                    chars.next();
                }
                flush_word(&mut words, &mut word);
                finish(&mut script, &mut words);
            }
            c if c.is_whitespace() => flush_word(&mut words, &mut word),
            c => word.push(c),
        }
    }
    flush_word(&mut words, &mut word);
    finish(&mut script, &mut words);
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_from_and_or_lists_pipes_and_groups() {
        let s = Script::parse("apt-get update && { apt-get install -y 'a=1' \"b\"; } | tee x || (cd /tmp)");
        let names: Vec<&str> = s.commands.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["apt-get", "apt-get", "tee", "cd"]);
        assert_eq!(s.commands[1].args, ["install", "-y", "a=1", "b"]);
        assert!(s.has_pipe && !s.fallback);
    }

    #[test]
    fn flags_and_operands() {
        let s = Script::parse("pip install --index-url https://x -r req.txt foo==1 -qq");
        let c = &s.commands[0];
        assert!(c.has_flag("index-url") && c.has_flag("q"));
        assert_eq!(c.operands(), ["install", "foo==1"]);
    }

    #[test]
    fn bodies_nested_thousands_deep_are_read_without_recursion() {
        let braces = format!("{}echo deep{}", "{ ".repeat(3000), "; }".repeat(3000));
        let ifs = format!(
            "{}echo deep{}",
            "if true; then ".repeat(3000),
            "; fi".repeat(3000)
        );
        let subs = format!("echo {}x{}", "$(".repeat(10_000), ")".repeat(10_000));
        for body in [braces, ifs, subs] {
            let s = Script::parse(&body);
            assert!(s.fallback);
            // The flat reader still sees the words (it does not know `{` or `if` as syntax).
            assert!(
                s.commands
                    .iter()
                    .any(|c| c.name == "echo" || c.args.iter().any(|a| a == "echo")),
                "{} commands",
                s.commands.len()
            );
        }
        // Ordinary nesting still goes to the real parser.
        assert!(!Script::parse("if true; then { (echo a); }; fi").fallback);
    }

    #[test]
    fn unclosed_parentheses_are_not_backtracked_through() {
        // Found by fuzzing: 60 of them took the parser minutes.
        let body = format!("true && {}& echo x", "(".repeat(60));
        let s = Script::parse(&body);
        assert!(s.fallback);
        assert!(s.commands.iter().any(|c| c.name == "true"));
        assert_eq!(unclosed_parentheses("echo '(' \"(\" \\( $(date) (a) ((1+2))"), 0);
        assert_eq!(unclosed_parentheses("case $x in a) echo;; esac"), 0);
        assert_eq!(unclosed_parentheses("(( ( echo"), 3);
        assert!(!Script::parse("echo $(( (1 + 2) * 3 )) && (cd /tmp && ls)").fallback);
    }

    #[test]
    fn descriptors_past_an_i32_are_not_given_to_the_parser() {
        // Found by fuzzing: the shell parser unwrapped the descriptor's conversion and panicked.
        let body = format!("dpkg -l {}> /tmp/dpkg.clean && apt-get clean", "8".repeat(13));
        let s = Script::parse(&body);
        assert!(s.fallback);
        assert!(s.commands.iter().any(|c| c.name == "apt-get"));
        assert!(oversized_descriptor("x 2147483648> f"));
        assert!(oversized_descriptor("x 99999999999<f"));
        assert!(!oversized_descriptor("x 2147483647> f"));
        assert!(!oversized_descriptor("echo 99999999999 > f"));
        assert!(!Script::parse("cmd 2> /dev/null 3<&0").fallback);
    }

    #[test]
    fn unbalanced_bodies_still_give_commands() {
        let s = Script::parse("bash -c `# not even a yum command");
        assert!(s.fallback);
        assert_eq!(s.commands[0].name, "bash");
    }

    #[test]
    fn references_know_quoting() {
        let s = Script::parse("X=$A echo $B \"$C\" '$D'");
        assert_eq!(
            s.references,
            [("A".into(), false), ("B".into(), true), ("C".into(), false)]
        );
    }
}
