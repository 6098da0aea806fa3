//! Which build step brought each layer in: the image config's `history` paired with the layers,
//! and, given the Dockerfile, each layer's instruction and line.
//!
//! * [`normalize`] takes the builder's wrapping off a history entry (`/bin/sh -c`, `#(nop)`,
//!   the `|N KEY=value` build-argument prefix, BuildKit's `RUN … # buildkit`), so classic
//!   Docker, BuildKit, buildah and kaniko histories read alike.
//! * [`attribute`] aligns the final stage's instructions (and those of the stages it builds
//!   on) with the history from the end backwards. Instructions that create no layer never
//!   shift the alignment: they match an empty history entry or none. Whatever history precedes
//!   the first aligned instruction is the base image. A Dockerfile that does not fit the image
//!   is reported, and attribution falls back to the history alone.
//!
//! * [`provenance`] reads BuildKit's provenance attestation, which names the step behind each
//!   layer exactly; where the image carries one it wins over the alignment.
//!
//! The result is one [`IntroducedBy`] per layer, which [`apply`] copies onto the packages.

pub mod provenance;

use drydock_catalog::{Confidence, DockerfileLocation, IntroducedBy, Package};
use drydock_dockerfile::{Dockerfile, Instruction};
use drydock_source::HistoryEntry;

/// Dockerfile keywords, for telling `COPY x /y` from a bare shell command in a history entry.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// The history entry as the instruction that made it: `RUN apt-get install -y curl`,
/// `COPY file:3b7… in /app`, `CMD ["/hello"]`. Whitespace runs are kept as the builder wrote
/// them; compare with [`collapse`].
pub fn normalize(created_by: &str) -> String {
    let mut text = created_by.trim();
    // BuildKit marks its entries with a trailing comment.
    if let Some(t) = text.strip_suffix("# buildkit") {
        text = t.trim_end();
    }
    let mut run = false;
    // BuildKit: `RUN |1 A=b /bin/sh -c …` and `RUN /bin/sh -c …`.
    if let Some(t) = text.strip_prefix("RUN ") {
        run = true;
        text = t.trim_start();
    }
    text = strip_build_args(text);
    for shell in ["/bin/sh -c ", "/bin/bash -c ", "/bin/ash -c ", "cmd /S /C "] {
        if let Some(t) = text.strip_prefix(shell) {
            let t = t.trim_start();
            // Classic and buildah: metadata steps are `/bin/sh -c #(nop) ENV …`.
            if let Some(nop) = t.strip_prefix("#(nop)") {
                return nop.trim().to_string();
            }
            return format!("RUN {}", t.trim_end());
        }
    }
    if run {
        return format!("RUN {}", text.trim_end());
    }
    text.trim_end().to_string()
}

/// Drops Docker's `|N K1=v1 … KN=vN ` prefix (the build arguments a RUN saw).
fn strip_build_args(text: &str) -> &str {
    let Some(rest) = text.strip_prefix('|') else {
        return text;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = rest[..digits].parse::<usize>() else {
        return text;
    };
    let mut rest = rest[digits..].trim_start();
    for _ in 0..n {
        match rest.find(' ') {
            Some(i) if rest[..i].contains('=') => rest = rest[i..].trim_start(),
            _ => return text,
        }
    }
    rest
}

/// Whitespace runs made one space, for comparing commands the builders re-space.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The keyword of a normalised history entry, if it names one.
pub fn keyword(normalized: &str) -> Option<&'static str> {
    let first = normalized.split_whitespace().next()?;
    KEYWORDS.iter().copied().find(|k| k.eq_ignore_ascii_case(first))
}

/// A Dockerfile given with `--dockerfile`.
pub struct DockerfileInput<'a> {
    /// As the user gave it; reports show it.
    pub path: &'a str,
    /// The parsed file.
    pub file: &'a Dockerfile,
}

/// Each layer's origin, and what the user should hear about how it was found.
#[derive(Debug, Default)]
pub struct Attribution {
    /// One origin per layer, in layer order.
    pub layers: Vec<IntroducedBy>,
    /// What could not be aligned (a Dockerfile that does not match the history, …).
    pub warnings: Vec<String>,
    /// Layers `0..n` came with the base image, when that is known.
    pub base_layers: Option<usize>,
}

/// What attribution needs of one layer.
#[derive(Debug, Clone, Default)]
pub struct LayerRef {
    /// The blob digest the manifest names (what provenance refers to).
    pub digest: Option<String>,
    /// The digest of the uncompressed layer (the config's `rootfs.diff_ids`).
    pub diff_id: Option<String>,
}

/// What attribution reads of the image.
pub struct ImageFacts<'a> {
    /// The manifest's layers, in order.
    pub layers: &'a [LayerRef],
    /// The config's history, empty layers included.
    pub history: &'a [HistoryEntry],
    /// The in-toto statement of a provenance attestation.
    pub provenance: Option<&'a [u8]>,
}

/// Works out each layer's origin from provenance, the history and, when given, the Dockerfile.
pub fn attribute(image: &ImageFacts, dockerfile: Option<&DockerfileInput>) -> Attribution {
    let (diff_ids, history) = (image.layers, image.history);
    let mut out = Attribution::default();
    let mut layers: Vec<IntroducedBy> = diff_ids
        .iter()
        .enumerate()
        .map(|(i, d)| IntroducedBy {
            layer: i,
            diff_id: d.diff_id.clone(),
            created_by: None,
            base_image: None,
            dockerfile: None,
            confidence: Confidence::Layer,
        })
        .collect();
    let paired = history.iter().any(|h| h.layer.is_some());
    for h in history {
        if let (Some(i), Some(c)) = (h.layer, &h.created_by)
            && let Some(l) = layers.get_mut(i)
        {
            l.created_by = Some(normalize(c));
            l.confidence = Confidence::History;
        }
    }
    if let Some(df) = dockerfile {
        if !paired && !diff_ids.is_empty() {
            out.warnings.push(format!(
                "{}: the image history does not pair with its layers, so the Dockerfile cannot be aligned with them",
                df.path
            ));
        } else {
            match align(history, df) {
                Ok(alignment) => {
                    out.base_layers = Some(alignment.base_layers);
                    for l in &mut layers {
                        l.base_image = Some(l.layer < alignment.base_layers);
                    }
                    for (layer, location) in alignment.located {
                        if let Some(l) = layers.get_mut(layer) {
                            l.dockerfile = Some(location);
                            l.confidence = Confidence::Aligned;
                        }
                    }
                }
                Err(why) => out.warnings.push(format!(
                    "{}: does not match the image ({why}); layers are attributed from the image history only",
                    df.path
                )),
            }
        }
    }
    if let Some(statement) = image.provenance {
        match provenance::parse(statement) {
            Ok(p) => apply_provenance(&mut layers, image.layers, &p, &mut out),
            Err(why) => out
                .warnings
                .push(format!("the image's provenance attestation is not used: {why}")),
        }
    }
    out.layers = layers;
    out
}

/// Layers the provenance names get their exact step; a `FROM` step's layers and the layers
/// before the build's first own one are the base image's.
fn apply_provenance(
    layers: &mut [IntroducedBy],
    refs: &[LayerRef],
    p: &provenance::Provenance,
    out: &mut Attribution,
) {
    let located: Vec<Option<&DockerfileLocation>> = refs
        .iter()
        .map(|r| r.digest.as_ref().and_then(|d| p.layers.get(d)))
        .collect();
    let is_from = |l: &DockerfileLocation| keyword(&l.instruction) == Some("FROM");
    let first_own = located.iter().position(|l| l.is_some_and(|l| !is_from(l)));
    for (i, (layer, location)) in layers.iter_mut().zip(&located).enumerate() {
        match location {
            Some(l) => {
                layer.base_image = Some(is_from(l));
                layer.dockerfile = Some((*l).clone());
                layer.confidence = Confidence::Provenance;
            }
            None => layer.base_image = first_own.map(|f| i < f).or(layer.base_image),
        }
    }
    if let Some(f) = first_own {
        out.base_layers = Some(f);
    }
}

struct Alignment {
    base_layers: usize,
    /// (layer, location) for each layer-creating instruction.
    located: Vec<(usize, DockerfileLocation)>,
}

/// The instructions that build the final image, in order: the final stage's, after those of
/// the stages it is built `FROM`.
fn build_chain(
    file: &Dockerfile,
) -> Result<(Vec<&Instruction>, Vec<drydock_dockerfile::stages::Stage>), String> {
    let stages = drydock_dockerfile::stages::stages(file);
    let Some(last) = stages.last() else {
        return Err("it has no FROM".into());
    };
    // A stage can only build on an earlier one, so the walk ends, in as many steps as stages.
    let mut chain = vec![last.index];
    let mut current = last;
    while let Some(p) = current.parent.filter(|&p| p < current.index) {
        chain.push(p);
        current = &stages[p];
    }
    chain.reverse();
    let instructions = chain
        .iter()
        .flat_map(|&i| stages[i].instructions(file).iter())
        .collect();
    Ok((instructions, stages))
}

fn creates_layer(i: &Instruction) -> bool {
    i.is("run") || i.is("copy") || i.is("add")
}

fn matches(instruction: &Instruction, step: &str) -> bool {
    let Some(kw) = keyword(step) else {
        return false;
    };
    if !instruction.keyword.eq_ignore_ascii_case(kw) {
        return false;
    }
    if !instruction.is("run") {
        return true;
    }
    let recorded = collapse(step[kw.len()..].trim_start());
    let recorded = strip_flags(&recorded);
    if !instruction.heredocs.is_empty() {
        // How builders record a heredoc's body varies; its opening line does not.
        let first = collapse(instruction.rest().lines().next().unwrap_or(""));
        return recorded.starts_with(first.as_str()) || recorded.contains("<<");
    }
    let written = if instruction.json {
        collapse(&instruction.args.join(" "))
    } else {
        collapse(&instruction.rest())
    };
    recorded == written || recorded.replace(' ', "") == written.replace(' ', "")
}

/// `--mount=…`/`--network=…` flags BuildKit may keep in front of the command.
fn strip_flags(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with("--") {
        match rest.find(' ') {
            Some(i) => rest = rest[i..].trim_start(),
            None => return "",
        }
    }
    rest
}

fn align(history: &[HistoryEntry], df: &DockerfileInput) -> Result<Alignment, String> {
    let (instructions, stages) = build_chain(df.file)?;
    let steps: Vec<(Option<usize>, String)> = history
        .iter()
        .map(|h| {
            (
                h.layer,
                h.created_by.as_deref().map(normalize).unwrap_or_default(),
            )
        })
        .collect();
    let mut located = Vec::new();
    let (mut i, mut j) = (steps.len(), instructions.len());
    while j > 0 {
        let ins = instructions[j - 1];
        if i == 0 {
            if !creates_layer(ins) {
                j -= 1;
                continue;
            }
            return Err(format!(
                "line {}: {} has no step left in the image history",
                ins.start_line,
                ins.keyword.to_uppercase()
            ));
        }
        let (layer, step) = &steps[i - 1];
        if matches(ins, step) {
            if let Some(layer) = layer {
                located.push((*layer, location(df.path, ins, &stages)));
            }
            i -= 1;
            j -= 1;
        } else if !creates_layer(ins) {
            j -= 1;
        } else if layer.is_none() {
            i -= 1;
        } else {
            return Err(format!(
                "line {}: {} does not match the image's step `{}`",
                ins.start_line,
                ins.keyword.to_uppercase(),
                shorten(step, 60)
            ));
        }
    }
    let base_layers = steps[..i].iter().filter(|(l, _)| l.is_some()).count();
    Ok(Alignment { base_layers, located })
}

fn location(
    path: &str,
    ins: &Instruction,
    stages: &[drydock_dockerfile::stages::Stage],
) -> DockerfileLocation {
    let from_stage = ins.flag("from").filter(|_| ins.is("copy")).map(|from| {
        let lower = from.to_lowercase();
        match stages.iter().find(|s| s.name.as_deref() == Some(lower.as_str())) {
            Some(s) => s.name.clone().unwrap_or_else(|| s.index.to_string()),
            None => from.to_string(),
        }
    });
    DockerfileLocation {
        path: path.to_string(),
        line: ins.start_line,
        end_line: ins.end_line.max(ins.start_line),
        instruction: collapse(&ins.original),
        from_stage,
    }
}

/// At most `max` characters, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Gives each package the origin of the layer that installed it.
pub fn apply(packages: &mut [Package], attribution: &Attribution) {
    for p in packages {
        p.introduced_by = p
            .layer
            .and_then(|l| attribution.layers.get(l))
            .cloned()
            .map(Box::new);
    }
}

#[cfg(test)]
mod tests;
