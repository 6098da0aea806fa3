use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use drydock_catalog::Inventory;
use drydock_report::{ImageSummary, LayerSummary, SbomDocument};
use drydock_source::{Image, Platform, SourceSpec};

use crate::Failure;

#[derive(Clone, Copy, ValueEnum)]
pub enum SbomFormat {
    Table,
    Json,
    Cyclonedx,
    #[value(name = "spdx-json")]
    SpdxJson,
    /// One self-contained page (the JSON SBOM inside, rendered offline)
    Html,
}

#[derive(Args)]
pub struct SourceArgs {
    /// Image to read: a registry reference ([REGISTRY/]REPOSITORY[:TAG][@DIGEST], or docker://…),
    /// docker-archive:PATH[:TAG|:@N], oci:DIR[:TAG], oci-archive:PATH[:TAG], dir:PATH, or a bare path
    pub source: String,
    #[command(flatten)]
    pub read: ReadOptions,
    /// The Dockerfile that built the image: each package is traced to its instruction and line
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
}

/// How images are read: shared by every command that reads one or more images.
#[derive(Args, Clone)]
pub struct ReadOptions {
    /// Platform to pick from a multi-platform index
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,
    /// No progress bar
    #[arg(long, short)]
    pub quiet: bool,
    /// Registry: allow plain HTTP and unverified TLS (e.g. a registry on 127.0.0.1)
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (the password is read from standard input with --password-stdin)
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password from standard input
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Read every layer even when the layer cache holds it
    #[arg(long, env = "DRYDOCK_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    /// Bound of the layer cache in MB; least recently used layers go first
    #[arg(long, value_name = "MB", default_value_t = 512)]
    pub cache_max_size: u64,
    /// Registry deadline in seconds: to connect, for the first byte of each answer, for each
    /// manifest and token; a layer gets this plus one second per 32 KiB it declares
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// What reading one image may hold, in MiB: the package databases and manifests read, the
    /// entries recorded, and the packages listed from them. A file or language package past it
    /// is left out with a warning; an OS package database, or entries past it, are an error
    #[arg(long, value_name = "MIB", default_value_t = drydock_source::Wants::new().budget >> 20,
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub read_budget: u64,
}

impl ReadOptions {
    /// The options as the command line leaves them when none is given (and the environment
    /// sets): for reading an image that no flag of the running command describes.
    pub fn defaults() -> ReadOptions {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            read: ReadOptions,
        }
        <Only as clap::Parser>::parse_from(["drydock"]).read
    }

    /// The options for a further image of the same run (a baseline, the other side of a
    /// compare): without the password, which standard input gives only once.
    pub fn for_another_image(&self) -> ReadOptions {
        ReadOptions {
            username: None,
            password_stdin: false,
            ..self.clone()
        }
    }
}

pub use crate::location::layer_cache_root;

pub fn registry_options(args: &ReadOptions) -> Result<drydock_source::RegistryOptions, Failure> {
    let credentials = match &args.username {
        Some(user) => {
            let mut secret = String::new();
            std::io::stdin()
                .read_line(&mut secret)
                .map_err(|e| Failure::input(format!("reading the password from standard input: {e}")))?;
            let secret = secret.trim_end_matches(['\n', '\r']).to_string();
            if secret.is_empty() {
                return Err(Failure::input(
                    "--password-stdin: standard input held no password",
                ));
            }
            Some(drydock_source::Credentials {
                username: user.clone(),
                secret,
            })
        }
        None => None,
    };
    Ok(drydock_source::RegistryOptions {
        insecure: args.insecure,
        credentials,
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
    })
}

#[derive(Args)]
pub struct SbomArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub db: crate::location::DbLocation,
    #[arg(long, short, value_enum, default_value = "table")]
    pub format: SbomFormat,
    /// Write the report to FILE instead of standard output
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// What every command that takes a SOURCE starts from: the image's summary and its inventory.
/// Nothing is printed yet; each command says the inventory's warnings once, with its own.
pub struct Inventoried {
    pub summary: ImageSummary,
    pub inventory: Inventory,
}

impl Inventoried {
    /// The SBOM document, built once at the end by the commands that write or store one.
    pub fn into_document(self) -> SbomDocument {
        SbomDocument::new(self.summary, self.inventory)
    }
}

/// Reads the image and catalogs it; shared by every command that takes a SOURCE.
pub fn inventory(
    source: &str,
    args: &ReadOptions,
    cache_root: &std::path::Path,
) -> Result<Inventoried, Failure> {
    inventory_with(source, args, cache_root, None)
}

/// [`inventory`], with each package traced to its build step (and Dockerfile line, given one).
pub fn inventory_with(
    source: &str,
    args: &ReadOptions,
    cache_root: &std::path::Path,
    dockerfile: Option<&std::path::Path>,
) -> Result<Inventoried, Failure> {
    Ok(read_image(source, args, cache_root, dockerfile, drydock_catalog::wants())?.into_inventoried())
}

/// Everything one pass over an image gives: the image's summary and inventory, the merged
/// filesystem, the image's metadata and each layer's origin.
pub struct ImageRead {
    pub summary: ImageSummary,
    pub inventory: Inventory,
    pub fs: drydock_source::Filesystem,
    pub image: Image,
    pub origins: Vec<drydock_catalog::IntroducedBy>,
    /// The final stage's base image, when a Dockerfile was given.
    pub base: Option<String>,
}

impl ImageRead {
    /// The summary and inventory, the filesystem and the image let go.
    pub fn into_inventoried(self) -> Inventoried {
        Inventoried {
            summary: self.summary,
            inventory: self.inventory,
        }
    }
}

/// Reads the image once with `wants` (the catalog's, or more) and catalogs it.
pub fn read_image(
    source: &str,
    args: &ReadOptions,
    cache_root: &std::path::Path,
    dockerfile: Option<&std::path::Path>,
    wants: drydock_source::Wants,
) -> Result<ImageRead, Failure> {
    let dockerfile = dockerfile
        .map(
            |path| -> Result<(String, drydock_dockerfile::Dockerfile), Failure> {
                let shown = path.display().to_string();
                let text = crate::read_text(path).map_err(|e| Failure::input(format!("{shown}: {e}")))?;
                let file = drydock_dockerfile::parse(&text)
                    .map_err(|e| Failure::input(format!("{shown}:{}: {}", e.line, e.message)))?;
                Ok((shown, file))
            },
        )
        .transpose()?;
    let spec = SourceSpec::parse(source)?;
    let platform: Platform = args.platform.parse()?;
    let options = registry_options(args)?;
    let mut wants = wants;
    wants.budget = args.read_budget << 20;
    let mut image = Image::open_with(&spec, &platform, &options)?;
    let bar = progress_bar(&image, args.quiet);
    let cache = (!args.no_cache).then(|| {
        drydock_source::LayerCache::new(
            cache_root,
            &drydock_catalog::analyzer_version_of(&wants),
            args.cache_max_size << 20,
        )
    });
    let fs = image.scan_cached(&wants, cache.as_ref(), &|bytes| {
        if let Some(b) = &bar {
            b.inc(bytes);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut inventory = drydock_catalog::catalog_with_env(&fs, &image.env)?;
    inventory.warnings.splice(0..0, image.warnings.iter().cloned());
    let layer_refs: Vec<drydock_attribution::LayerRef> = image
        .layers
        .iter()
        .map(|l| drydock_attribution::LayerRef {
            digest: l.digest.clone(),
            diff_id: l.diff_id.clone(),
        })
        .collect();
    let input = dockerfile
        .as_ref()
        .map(|(path, file)| drydock_attribution::DockerfileInput { path, file });
    let mut attribution = drydock_attribution::attribute(
        &drydock_attribution::ImageFacts {
            layers: &layer_refs,
            history: &image.history,
            provenance: image.provenance.as_deref(),
        },
        input.as_ref(),
    );
    let base_image = detect_base(
        &image,
        dockerfile.as_ref().map(|(_, f)| f),
        &attribution,
        cache_root,
        &mut inventory.warnings,
    );
    // Where only the base detection knows where the base ends, its count marks the layers
    // (not the history guess: a fix class must not rest on it).
    if attribution.base_layers.is_none()
        && let Some(n) = base_image
            .as_ref()
            .filter(|b| b.confidence != drydock_catalog::BaseConfidence::Low)
            .and_then(|b| b.layers)
    {
        for l in &mut attribution.layers {
            l.base_image = Some(l.layer < n);
        }
    }
    drydock_attribution::apply(&mut inventory.packages, &attribution);
    inventory.warnings.extend(attribution.warnings.iter().cloned());
    let mut image_summary = summary(&image);
    image_summary.base_image = base_image;
    image_summary.os = inventory.distro.clone();
    for (layer, origin) in image_summary.layers.iter_mut().zip(&attribution.layers) {
        layer.base_image = origin.base_image;
        layer.dockerfile = origin.dockerfile.clone();
    }
    let base = dockerfile.as_ref().and_then(|(_, file)| {
        let stages = drydock_dockerfile::stages::stages(file);
        let mut stage = stages.last()?;
        while let Some(p) = stage.parent {
            stage = stages.get(p).filter(|s| s.index < stage.index)?;
        }
        Some(stage.base.clone())
    });
    Ok(ImageRead {
        summary: image_summary,
        inventory,
        fs,
        image,
        origins: attribution.layers,
        base,
    })
}

/// The base image, from the evidence the image carries and the base-image index in the cache
/// directory (an unreadable index is a warning: detection goes on without it).
fn detect_base(
    image: &Image,
    dockerfile: Option<&drydock_dockerfile::Dockerfile>,
    attribution: &drydock_attribution::Attribution,
    cache_root: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Option<drydock_catalog::BaseImage> {
    let index = cache_root
        .parent()
        .map(drydock_base::BaseIndex::load)
        .transpose()
        .unwrap_or_else(|e| {
            warnings.push(e.to_string());
            None
        })
        .filter(|i| !i.is_empty());
    let diff_ids: Vec<Option<String>> = image.layers.iter().map(|l| l.diff_id.clone()).collect();
    drydock_base::detect(
        &drydock_base::ImageEvidence {
            diff_ids: &diff_ids,
            annotations: &image.annotations,
            labels: &image.labels,
            history: &image.history,
            provenance: image.provenance.as_deref(),
            dockerfile,
            aligned_base_layers: attribution.base_layers,
        },
        index.as_ref(),
    )
}

fn progress_bar(image: &Image, quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = image.layers.iter().filter_map(|l| l.size).sum();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} reading layers {bar:30} {bytes}/{total_bytes} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

pub fn summary(image: &Image) -> ImageSummary {
    ImageSummary {
        name: image.name.clone(),
        transport: image.transport.to_string(),
        manifest_digest: image.manifest_digest.clone(),
        config_digest: image.config_digest.clone(),
        platform: image.platform.as_ref().map(|p| p.to_string()),
        repo_tags: image.repo_tags.clone(),
        os: None,
        base_image: None,
        layers: image
            .layers
            .iter()
            .map(|l| LayerSummary {
                index: l.index,
                digest: l.digest.clone(),
                diff_id: l.diff_id.clone(),
                media_type: l.media_type.clone(),
                size: l.size,
                created_by: l.created_by.clone(),
                ..Default::default()
            })
            .collect(),
    }
}

pub fn write_output(output: &Option<PathBuf>, text: &str) -> Result<(), Failure> {
    write_output_with(output, |out| out.write_all(text.as_bytes()))
}

/// Writes an SBOM format into its output as it is serialised.
type WriteSbom = fn(&SbomDocument, &mut dyn Write) -> std::io::Result<()>;

/// [`write_output`] for a report written as it is made.
pub fn write_output_with(
    output: &Option<PathBuf>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    match output {
        Some(path) => std::fs::File::create(path)
            .and_then(|mut file| {
                write(&mut file)?;
                file.flush()
            })
            .map_err(|e| Failure::input(format!("{}: cannot write report: {e}", path.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            match write(&mut out).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`drydock sbom x | head`) is the reader's choice, not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Failure::input(format!("cannot write to standard output: {e}"))),
            }
        }
    }
}

pub fn run(args: SbomArgs) -> Result<u8, Failure> {
    let read = inventory_with(
        &args.source.source,
        &args.source.read,
        &layer_cache_root(&args.db),
        args.source.dockerfile.as_deref(),
    )?;
    crate::warn(&read.inventory.warnings);
    let doc = read.into_document();
    // The JSON formats go out as they are serialised: an SBOM of many packages is not held
    // a second time as text.
    let stream: Option<WriteSbom> = match args.format {
        SbomFormat::Json => Some(drydock_report::json::write_to),
        SbomFormat::Cyclonedx => Some(drydock_report::cyclonedx::write_to),
        SbomFormat::SpdxJson => Some(drydock_report::spdx::write_to),
        SbomFormat::Table | SbomFormat::Html => None,
    };
    if let Some(write) = stream {
        write_output_with(&args.output, |out| write(&doc, out))?;
        return Ok(0);
    }
    let text = match args.format {
        SbomFormat::Table => drydock_report::terminal_safe(&drydock_report::table::render(&doc)),
        SbomFormat::Json => drydock_report::json::render(&doc),
        SbomFormat::Cyclonedx => drydock_report::cyclonedx::render(&doc),
        SbomFormat::SpdxJson => drydock_report::spdx::render(&doc),
        SbomFormat::Html => drydock_report::html::render(
            drydock_report::html::Kind::Sbom,
            &doc.image.name,
            &drydock_report::json::render(&doc),
        ),
    };
    write_output(&args.output, &text)?;
    Ok(0)
}
