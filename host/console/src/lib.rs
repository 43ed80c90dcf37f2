//! The web console's built assets, embedded so the server needs no files and no network
//! to serve it (see `build.rs` for how `console/` becomes them).

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The page every console address answers with; the script it loads picks what to show.
pub static PAGE: &str = include_str!(concat!(env!("OUT_DIR"), "/index.html"));

/// A built asset by its file name under `/assets/`, with its media type.
pub fn asset(name: &str) -> Option<(&'static [u8], &'static str)> {
    let (_, bytes) = ASSETS.iter().find(|(file, _)| *file == name)?;
    let media = match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map") => "application/json",
        _ => "application/octet-stream",
    };
    Some((bytes, media))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_a_script_and_a_style_sheet_that_are_embedded() {
        let named: Vec<&str> = PAGE
            .split('"')
            .filter_map(|part| part.strip_prefix("/assets/"))
            .collect();
        assert_eq!(named.len(), 2, "{PAGE}");
        for name in named {
            let (bytes, _) = asset(name).unwrap_or_else(|| panic!("{name} is not embedded"));
            assert!(!bytes.is_empty(), "{name} is empty");
        }
    }
}
