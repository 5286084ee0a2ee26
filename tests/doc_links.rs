//! The links between the repository's Markdown files: every relative link
//! `[text](path)` or `[text](path#anchor)` in a `*.md` file of the repository
//! (as git lists it, ignored files left out) must name a file or directory
//! that exists, and an anchor into a Markdown file must be the slug of one of
//! its headings (GitHub's rules). Links with a scheme (`https:`, `mailto:`)
//! are not checked.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's Markdown files, relative to the root: from git when this
/// is a checkout (tracked, or new and not ignored), else every `*.md` below
/// the root outside build output.
fn markdown_files() -> Vec<PathBuf> {
    let git = Command::new("git")
        .arg("-C")
        .arg(root())
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .args(["--", "*.md"])
        .output();
    if let Ok(out) = git {
        if out.status.success() && !out.stdout.is_empty() {
            let mut files: Vec<PathBuf> = out
                .stdout
                .split(|&b| b == 0)
                .filter(|name| !name.is_empty())
                .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
                .collect();
            files.sort();
            return files;
        }
    }
    let mut files = Vec::new();
    walk(root(), Path::new(""), &mut files);
    files.sort();
    files
}

fn walk(base: &Path, rel: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(base.join(rel)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let rel = rel.join(&name);
        let skip = matches!(name.to_str(), Some(".git" | "target")) || rel == Path::new("ci/out");
        if skip {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(base, &rel, files);
        } else if rel.extension().is_some_and(|e| e == "md") {
            files.push(rel);
        }
    }
}

/// GitHub's anchor for a heading: lowercased; letters, digits, '-' and '_'
/// kept; each space turned into '-'; everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

struct Link {
    dest: String,
    line: usize,
}

struct Document {
    /// Every anchor its headings give, with GitHub's `-1`, `-2`, ... for a
    /// repeated one.
    anchors: Vec<String>,
    links: Vec<Link>,
}

fn parse(text: &str) -> Document {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let mut anchors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut links = Vec::new();
    let mut heading: Option<String> = None;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                let base = slug(&heading.take().unwrap_or_default());
                let n = seen.entry(base.clone()).or_insert(0);
                anchors.push(if *n == 0 { base } else { format!("{base}-{n}") });
                *n += 1;
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let line = text[..range.start].matches('\n').count() + 1;
                links.push(Link {
                    dest: dest_url.into_string(),
                    line,
                });
            }
            _ => {}
        }
    }
    Document { anchors, links }
}

/// A link with a scheme (`https://...`, `mailto:...`) leaves the repository.
fn is_external(dest: &str) -> bool {
    match dest.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `a/b/../c` as `a/c`, without touching the file system; `None` when the
/// path climbs out of the repository.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}

/// `%20` and the like, as GitHub decodes them in a link's path.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(hex) = s.get(i + 1..i + 3) {
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What is wrong with one link of `from`, if anything.
fn check_link(from: &Path, dest: &str, docs: &BTreeMap<PathBuf, Document>) -> Result<(), String> {
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    let path = percent_decode(path);
    let target = if path.is_empty() {
        from.to_path_buf()
    } else if let Some(abs) = path.strip_prefix('/') {
        PathBuf::from(abs)
    } else {
        from.parent().unwrap_or(Path::new("")).join(&path)
    };
    let Some(target) = normalize(&target) else {
        return Err(format!("{dest}: leaves the repository"));
    };
    if !root().join(&target).exists() {
        return Err(format!("{dest}: no file {}", target.display()));
    }
    let Some(anchor) = anchor else {
        return Ok(());
    };
    // Anchors into other files (source lines, `#L10`) are GitHub's to resolve.
    if target.extension().is_none_or(|e| e != "md") {
        return Ok(());
    }
    let anchor = percent_decode(anchor);
    let doc = match docs.get(&target) {
        Some(doc) => doc,
        None => return Err(format!("{dest}: {} is ignored by git", target.display())),
    };
    if doc.anchors.contains(&anchor) {
        Ok(())
    } else {
        Err(format!(
            "{dest}: {} has no heading with the anchor #{anchor}",
            target.display()
        ))
    }
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("Kernels: tested and supported"),
        "kernels-tested-and-supported"
    );
    assert_eq!(
        slug("What it does, and what it does not"),
        "what-it-does-and-what-it-does-not"
    );
    assert_eq!(slug("The rdna1-fg tool"), "the-rdna1-fg-tool");
    assert_eq!(slug("Install (DKMS)"), "install-dkms");
    assert_eq!(slug("snake_case & more"), "snake_case--more");
    assert_eq!(slug("Übersicht"), "übersicht");
}

#[test]
fn headings_and_links_are_found() {
    let doc = parse(
        "# Top\n\n## The `rdna1-fg` tool\n\n## Top\n\nSee [a](docs/x.md#top-1), \
         [b][ref] and `[not](a-link.md)`.\n\n```\n[nor](this.md)\n```\n\n\
         | t |\n|---|\n| [c](y.md) |\n\n[ref]: z.md#anchor\n",
    );
    assert_eq!(doc.anchors, ["top", "the-rdna1-fg-tool", "top-1"]);
    let dests: Vec<&str> = doc.links.iter().map(|l| l.dest.as_str()).collect();
    assert_eq!(dests, ["docs/x.md#top-1", "z.md#anchor", "y.md"]);
    assert_eq!(doc.links[0].line, 7);
    assert!(is_external("https://example.org/a.md"));
    assert!(is_external("mailto:someone@example.org"));
    assert!(!is_external("docs/testing.md#kernels"));
    assert_eq!(percent_decode("a%20b"), "a b");
}

#[test]
fn links_between_markdown_files_resolve() {
    let files = markdown_files();
    for must in ["README.md", "BENCHMARKS.md"] {
        assert!(
            files.iter().any(|f| f == Path::new(must)),
            "{must} not found among {files:?}"
        );
    }
    let docs: BTreeMap<PathBuf, Document> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(root().join(f))
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (f.clone(), parse(&text))
        })
        .collect();
    let mut broken = Vec::new();
    let mut checked = 0;
    for (file, doc) in &docs {
        for link in &doc.links {
            if is_external(&link.dest) {
                continue;
            }
            checked += 1;
            if let Err(why) = check_link(file, &link.dest, &docs) {
                broken.push(format!("{}:{}: {why}", file.display(), link.line));
            }
        }
    }
    assert!(checked > 0, "no relative link found in {files:?}");
    assert!(
        broken.is_empty(),
        "{} broken link(s) in the Markdown files:\n{}",
        broken.len(),
        broken.join("\n")
    );
}
