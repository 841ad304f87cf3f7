//! The HTML view (filled in below).
use crate::check::CheckResult;
use crate::history::History;
use crate::model::Model;

pub fn page(_title: &str, sections: &[String]) -> String {
    sections.concat()
}

pub fn render_section<M: Model>(
    _model: &M,
    _history: &History<M::Input, M::Output>,
    _result: &CheckResult,
    _call_lines: &[usize],
    _title: &str,
) -> String {
    String::new()
}
