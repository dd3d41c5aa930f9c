//! The README's table of contents lists every `##` and `###` heading that
//! follows it, in order, each linked to the anchor GitHub gives it.

/// GitHub's anchor of a heading: lowercased, punctuation dropped, spaces
/// as dashes.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn the_readme_contents_list_every_heading() {
    let readme = include_str!("../../README.md");
    let marker = "<!-- contents: kept in step with the headings by a test -->\n";
    let start = readme.find(marker).expect("the README has its contents") + marker.len();
    let listed: Vec<&str> = readme[start..]
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .collect();
    let body = &readme[start..];
    let mut in_code = false;
    let mut expected = Vec::new();
    for line in body.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        let (indent, title) = if let Some(title) = line.strip_prefix("## ") {
            ("", title)
        } else if let Some(title) = line.strip_prefix("### ") {
            ("  ", title)
        } else {
            continue;
        };
        expected.push(format!("{indent}- [{title}](#{})", anchor(title)));
    }
    assert!(expected.len() > 20, "{} headings", expected.len());
    assert_eq!(listed, expected, "the README's contents and its headings");
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(
        anchor("Agreements on offers (FEP-0837)"),
        "agreements-on-offers-fep-0837"
    );
    assert_eq!(
        anchor("Publishing the platform's data"),
        "publishing-the-platforms-data"
    );
}
