//! Markdown: the same document as the HTML (the crate's `doc` module decides, once for both formats,
//! the sections, sentences and tables), as text and pipe tables, without its charts and maps (a section
//! holding nothing else is left out, and the numbering goes on without it).
//!
//! Only the layout is decided here: headings, paragraphs, bullet lists for key figures and details,
//! pipe tables with numeric columns right-aligned and the total row in bold, the classification in bold
//! at the top and the bottom.
//!
//! Markdown renderers pass HTML through, so every span of text is escaped for HTML (`<`, `>`, `&`) as
//! well as for Markdown (emphasis, links, code, and `|` which would split a table cell); line breaks
//! inside text become spaces, and a cell's own line breaks ` / `. Identifiers are code spans, whose
//! content Markdown shows as it is, unless one holds a character that could end the span or split a
//! table cell early (a backtick, `|`, `\`, a line break; tables split at a bare `|` even inside code):
//! that one is escaped like any text instead.

use std::fmt::Write as _;

use crate::doc::{self, Block, Doc, Section, Span, Table, Text, signed};
use crate::model::{DailyReport, SpotReport, StatusReport};

/// Escapes text for Markdown (and the HTML a renderer would pass through), on one line.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A text's spans, each escaped.
fn text(t: &Text) -> String {
    let mut out = String::new();
    for s in &t.0 {
        match s {
            Span::Plain(s) | Span::Strong(s) | Span::Mono(s) => out.push_str(&esc(s)),
            Span::Code(s) if !s.contains(['`', '|', '\\', '\n', '\r']) => {
                let _ = write!(out, "`{s}`");
            }
            Span::Code(s) => out.push_str(&esc(s)),
            Span::Change(n) => out.push_str(&signed(*n)),
            Span::Break => out.push_str(" / "),
        }
    }
    out
}

/// A pipe table.
fn table(out: &mut String, t: &Table) {
    let titles: Vec<String> = t.columns.iter().map(|c| esc(c.title)).collect();
    let align: Vec<&str> = t.columns.iter().map(|c| if c.numeric { "---:" } else { "---" }).collect();
    let _ = writeln!(out, "| {} |\n|{}|", titles.join(" | "), align.join("|"));
    for r in &t.rows {
        let _ = writeln!(out, "| {} |", r.iter().map(text).collect::<Vec<_>>().join(" | "));
    }
    if let Some(total) = &t.total {
        let _ =
            writeln!(out, "| {} |", total.iter().map(|c| format!("**{}**", text(c))).collect::<Vec<_>>().join(" | "));
    }
    out.push('\n');
}

/// One block of a section (graphics are left out).
fn block(out: &mut String, block: &Block) {
    match block {
        Block::Para(t) | Block::Meta(t) => {
            let _ = writeln!(out, "{}\n", text(t));
        }
        Block::Sub(t) => {
            let _ = writeln!(out, "### {}\n", esc(t));
        }
        Block::Figures(list) => {
            for (label, value) in list {
                let _ = writeln!(out, "- {}: {}", esc(label), text(value));
            }
            out.push('\n');
        }
        Block::Fields(list) => {
            for (label, value) in list {
                let _ = writeln!(out, "- **{}**: {}", esc(label), text(value));
            }
            out.push('\n');
        }
        Block::Table(t) => table(out, t),
        Block::Graphic(_) => {}
    }
}

/// A report between its classification banners.
fn render(doc: &Doc) -> String {
    let banner = format!("**{}**\n\n", esc(&doc.banner));
    let mut b = banner.clone();
    let _ = writeln!(b, "# {}\n\n{}\n", esc(&doc.title), text(&doc.agreement));
    if let Some(w) = doc.warning {
        let _ = writeln!(b, "> {}\n", esc(w));
    }
    for line in &doc.meta {
        let _ = writeln!(b, "{}\n", text(line));
    }
    if let Some(note) = &doc.note {
        let _ = writeln!(b, "> {}\n", esc(note));
    }
    for (heading, s) in doc.headed(Section::only_graphics) {
        let _ = writeln!(b, "## {}\n", esc(&heading));
        for x in &s.blocks {
            block(&mut b, x);
        }
    }
    b.push_str(&banner);
    b
}

/// The daily report in Markdown.
pub fn daily(r: &DailyReport) -> String {
    render(&doc::daily(r))
}

/// The spot report in Markdown.
pub fn spot(r: &SpotReport) -> String {
    render(&doc::spot(r))
}

/// The status report in Markdown.
pub fn status(r: &StatusReport) -> String {
    render(&doc::status(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_and_markdown_on_one_line() {
        assert_eq!(esc("<script>a|b</script>"), "&lt;script&gt;a\\|b&lt;/script&gt;");
        assert_eq!(esc("*x* [l](u)\nnext"), "\\*x\\* \\[l\\](u) next");
    }

    #[test]
    fn a_document_is_laid_out_without_its_graphics_and_with_every_text_escaped() {
        let md = render(&doc::sample());
        let hostile = r"&lt;script&gt;alert('x')&lt;/script&gt; &amp; \*y\* \| \[l\](u)";
        assert!(!md.contains("<script") && !md.contains("<i>") && !md.contains("<b>"), "{md}");
        assert!(
            md.starts_with(
                "**NATO UNCLASSIFIED**\n\n# Title &lt;b&gt;\n\nAgreement: T (id\\`&lt;i&gt;, version 1)\n\n"
            )
        );
        assert!(md.ends_with("**NATO UNCLASSIFIED**\n\n"));
        assert!(md.contains(&format!("Edition: public\n\n> {hostile}\n\n## 1. First\n\n{hostile}\n\n- Change: 0\n\n")));
        assert!(
            !md.contains("Map")
                && md.contains("## 2. Second\n\n### Sub\n\n| Name | Change | Position |\n|---|---:|---|\n")
        );
        assert!(md.contains(&format!("| {hostile} | -2 | 1, 2 / {hostile} |\n")));
        assert!(md.contains("| **Total** | **+3** | **—** |\n\n"));
        assert!(md.contains(&format!(
            "- **What**: {hostile}\n- **Id**: `inc-<1>`\n\n## 3. Empty\n\nNone.\n\n## Annex\n\n{hostile}\n\n"
        )));
    }
}
