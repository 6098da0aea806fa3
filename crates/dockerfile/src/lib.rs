//! Dockerfiles read exactly as BuildKit reads them.
//!
//! * [`parser`]: parser directives (`syntax`, `escape`, `check`), the escape character,
//!   continuation lines with comments and blank lines inside, heredocs (`<<EOF`, `<<-EOF`,
//!   quoted delimiters, several per instruction), exec versus shell form, `--flags`, ONBUILD.
//! * [`dump`]: BuildKit's node-dump notation, so a parse can be diffed against BuildKit's own
//!   parser fixtures.
//! * [`shell`]: BuildKit's shell-word lexer, which expands `${VAR}` where the builder does
//!   (`FROM ${BASE}`, heredoc delimiters).
//! * [`stages`]: build stages with their base image, ARG values expanded.
//!
//! Written here rather than on `parse-dockerfile`: that crate's tree does not keep BuildKit's
//! per-instruction argument split (ENV key/value/separator triples, whitespace lists for
//! FROM and EXPOSE, JSON fallbacks), which the dump notation and the lint rules both need.

pub mod dump;
pub mod parser;
pub mod shell;
pub mod stages;

pub use parser::{Comment, Directive, Dockerfile, Heredoc, Instruction, ParseError, parse};
