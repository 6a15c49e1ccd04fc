//! Graphviz DOT: principals, the roles they assume (dashed edges) and the
//! resources they reach (solid edges labelled with the actions; dotted when
//! a condition remains).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::super::who_can::Row;

/// A graph under construction.
#[derive(Debug, Default)]
pub struct Dot {
    /// Node id → (label, shape).
    nodes: BTreeMap<String, (String, &'static str)>,
    /// (from, to, label, style).
    edges: BTreeSet<(String, String, String, &'static str)>,
}

/// A short label: the ARN's resource part (`user/alice`, `role/sls-byok`,
/// `root`, `project/shop/logstore/orders-byok`), or the name as it is.
pub fn short(arn: &str) -> String {
    if arn.starts_with("acs:") {
        arn.splitn(5, ':').nth(4).unwrap_or(arn).to_string()
    } else {
        arn.to_string()
    }
}

fn shape(id: &str) -> &'static str {
    if id.contains(":role/") {
        "box"
    } else if id.starts_with("acs:ram::") {
        "ellipse"
    } else {
        "octagon"
    }
}

impl Dot {
    /// An empty graph.
    pub fn new() -> Dot {
        Dot::default()
    }

    /// A target node (a resource or a capability), drawn as a cylinder.
    pub fn target(&mut self, id: &str, label: &str) {
        self.nodes
            .insert(id.to_string(), (label.to_string(), "cylinder"));
    }

    /// A row: its principal, its hops, and an edge to `target` labelled
    /// `label` (the row's actions when `None`).
    pub fn row(&mut self, r: &Row, target: &str, label: Option<&str>) {
        let mut at = r.principal.clone();
        self.nodes
            .entry(at.clone())
            .or_insert_with(|| (short(&at), shape(&at)));
        for hop in &r.via {
            self.nodes
                .entry(hop.clone())
                .or_insert_with(|| (short(hop), shape(hop)));
            self.edges.insert((
                at.clone(),
                hop.clone(),
                "sts:AssumeRole".to_string(),
                "dashed",
            ));
            at = hop.clone();
        }
        let style = if r.condition.is_always() {
            "solid"
        } else {
            "dotted"
        };
        let text = label.map_or_else(|| r.actions.join("\\n"), str::to_string);
        self.edges.insert((at, target.to_string(), text, style));
    }

    /// The DOT text.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "digraph access {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
        );
        for (id, (label, shape)) in &self.nodes {
            let _ = writeln!(
                out,
                "  {} [label={}, shape={shape}];",
                quote(id),
                quote(label)
            );
        }
        for (from, to, label, style) in &self.edges {
            let _ = writeln!(
                out,
                "  {} -> {} [label={}, style={style}];",
                quote(from),
                quote(to),
                quote(label)
            );
        }
        out.push_str("}\n");
        out
    }
}

/// A DOT string literal (`\n` sequences in labels are kept as line breaks).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' if chars.peek() == Some(&'n') => out.push('\\'),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The rows of one `who-can` question, all pointing at `resource`.
pub fn rows(rows: &[Row], resource: &str) -> String {
    let mut d = Dot::new();
    d.target(resource, &short(resource));
    for r in rows {
        d.row(r, resource, None);
    }
    d.render()
}

/// The Logstore report: one capability node per section, each row an edge
/// (through its hops) to it.
pub fn logstore(r: &super::super::LogstoreReport) -> String {
    let mut d = Dot::new();
    for s in &r.sections {
        let id = format!("{}#{}", r.arn, s.name);
        d.target(&id, &format!("{}/{}\\n{}", r.project, r.logstore, s.name));
        for row in &s.rows {
            d.row(row, &id, Some(&row.actions.join("\\n")));
        }
    }
    d.render()
}

/// Escalation paths: an edge from each principal to its target, labelled
/// with the kind of path and the pair gained.
pub fn escalation(paths: &[super::super::Escalation]) -> String {
    let mut d = Dot::new();
    d.paths(paths);
    d.render()
}

impl Dot {
    /// Escalation paths as edges from each principal to its target.
    pub fn paths(&mut self, paths: &[super::super::Escalation]) {
        let d = self;
        for p in paths {
            d.nodes
                .entry(p.principal.clone())
                .or_insert_with(|| (short(&p.principal), shape(&p.principal)));
            d.nodes
                .entry(p.target.clone())
                .or_insert_with(|| (short(&p.target), shape(&p.target)));
            let style = if p.condition.is_always() {
                "solid"
            } else {
                "dotted"
            };
            d.edges.insert((
                p.principal.clone(),
                p.target.clone(),
                format!(
                    "{}\\ngains {} on {}",
                    p.kind.as_str(),
                    p.gains.action,
                    short(&p.gains.resource)
                ),
                style,
            ));
        }
    }
}

/// A check report: every row of every assertion to its resource, and the
/// escalation paths.
pub fn check(r: &super::super::check::CheckReport) -> String {
    let mut d = Dot::new();
    for (resource, rows) in &r.answers {
        d.target(resource, &short(resource));
        for row in rows {
            d.row(row, resource, None);
        }
    }
    d.paths(&r.paths);
    d.render()
}
