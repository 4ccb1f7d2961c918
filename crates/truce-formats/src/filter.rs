//! The values of list and area filters as people type them in a query string or on a command line:
//! comma-separated lists of vocabulary words (`category=muzzle_flash,explosion_impact`), classification
//! levels by rank or name (`marking=0,NATO SECRET`) and polygons (`polygon=lon,lat;lon,lat;lon,lat`).
//!
//! Every function checks the whole value before returning anything and says what is wrong, so the
//! caller only has to name the parameter. A list is "any of": its order does not matter and repeats are
//! dropped. An empty item (`a,,b`, a trailing comma) is an error rather than silently ignored: it is
//! almost always a typing mistake, and a filter that quietly matches more than asked is worse than a
//! refusal. Unknown words are errors too, never an empty result.

use truce_core::Marking;
use truce_geo::{LonLat, Polygon};

/// Most items a list filter takes (the vocabularies are smaller; this bounds the work of a hostile
/// query string).
pub const MAX_ITEMS: usize = 100;

/// Most vertices a polygon filter takes (a closing repeat of the first vertex is not counted).
pub const MAX_VERTICES: usize = 1_000;

/// The items of a comma-separated list, trimmed, in order, without repeats.
///
/// # Errors
/// An empty list or item, or more than [`MAX_ITEMS`] items.
///
/// # Examples
/// ```
/// use truce_formats::filter::items;
/// assert_eq!(items("a, b,a").unwrap(), ["a", "b"]);
/// assert!(items("a,,b").unwrap_err().contains("item 2 is empty"));
/// ```
pub fn items(s: &str) -> Result<Vec<&str>, String> {
    let mut out: Vec<&str> = Vec::new();
    for (i, item) in s.split(',').enumerate() {
        if i >= MAX_ITEMS {
            return Err(format!("more than {MAX_ITEMS} items"));
        }
        let item = item.trim();
        if item.is_empty() {
            return Err(if s.trim().is_empty() {
                "an empty list; leave the parameter out to select everything".to_owned()
            } else {
                format!("item {} is empty (a doubled or trailing comma?)", i + 1)
            });
        }
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(out)
}

/// A list of words each parsed by `parse` (a vocabulary's `FromStr`, whose error lists the words).
///
/// # Errors
/// As [`items`], or the first word `parse` refuses, with its reason.
pub fn words<T: PartialEq, E: std::fmt::Display>(
    s: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    for item in items(s)? {
        let v = parse(item).map_err(|e| e.to_string())?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// A list of classification levels, each its rank (`0` NATO UNCLASSIFIED to `4` COSMIC TOP SECRET) or
/// its exact name (`NATO SECRET`).
///
/// # Errors
/// As [`items`], or an item that is neither.
///
/// # Examples
/// ```
/// use truce_core::Marking;
/// use truce_formats::filter::markings;
/// assert_eq!(markings("0,NATO SECRET").unwrap(), [Marking::NatoUnclassified, Marking::NatoSecret]);
/// assert!(markings("5").is_err() && markings("nato secret").is_err());
/// ```
pub fn markings(s: &str) -> Result<Vec<Marking>, String> {
    words(s, |item| {
        Marking::ALL.iter().copied().find(|m| item == m.id() || item == m.rank().to_string()).ok_or_else(|| {
            let known: Vec<String> = Marking::ALL.iter().map(|m| format!("{} {}", m.rank(), m.id())).collect();
            format!("{item:?} is not a classification rank or name (one of: {})", known.join(", "))
        })
    })
}

/// A polygon written `lon,lat;lon,lat;lon,lat[;...]`: at least three distinct vertices, at most
/// [`MAX_VERTICES`], the ring closed implicitly (repeating the first vertex at the end is allowed).
///
/// # Errors
/// A vertex that is not two finite numbers in range (its number), too few distinct vertices, or too
/// many.
///
/// # Examples
/// ```
/// use truce_formats::filter::polygon;
/// let p = polygon("36,47;37,47;37,48").unwrap();
/// assert_eq!(p.bbox(), [36.0, 47.0, 37.0, 48.0]);
/// assert!(polygon("36,47;37,47").unwrap_err().contains("at least 3"));
/// assert!(polygon("36,47;37;37,48").unwrap_err().contains("vertex 2"));
/// ```
pub fn polygon(s: &str) -> Result<Polygon, String> {
    let mut vertices = Vec::new();
    for (i, pair) in s.split(';').enumerate() {
        // One more than the limit: the closing repeat of the first vertex.
        if i > MAX_VERTICES {
            return Err(format!("more than {MAX_VERTICES} vertices"));
        }
        let bad = || format!("vertex {} {:?} is not LON,LAT (two numbers)", i + 1, pair.trim());
        let (lon, lat) = pair.split_once(',').ok_or_else(bad)?;
        let number = |x: &str| x.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let (Some(lon), Some(lat)) = (number(lon), number(lat)) else { return Err(bad()) };
        vertices.push(LonLat::new(lon, lat));
    }
    let closed = vertices.len() > 1 && vertices.first() == vertices.last();
    if vertices.len() - usize::from(closed) > MAX_VERTICES {
        return Err(format!("more than {MAX_VERTICES} vertices"));
    }
    Polygon::new(vertices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_refuse_empty_items_and_too_many() {
        assert!(items("").unwrap_err().contains("empty list"));
        assert!(items("  ").unwrap_err().contains("empty list"));
        assert!(items(" , ").unwrap_err().contains("item 1 is empty"));
        assert!(items("a,").unwrap_err().contains("item 2"));
        let many = vec!["x"; MAX_ITEMS + 1].join(",");
        assert!(items(&many).unwrap_err().contains("more than"));
        assert_eq!(items(&vec!["x"; MAX_ITEMS].join(",")).unwrap(), ["x"]);
    }

    #[test]
    fn words_name_the_unknown_one() {
        let means = words("patrol,uav", |w| w.parse::<truce_core::Means>()).unwrap();
        assert_eq!(means, [truce_core::Means::Patrol, truce_core::Means::Uav]);
        let e = words("patrol,drone", |w| w.parse::<truce_core::Means>()).unwrap_err();
        assert!(e.contains("\"drone\"") && e.contains("fixed_camera"), "{e}");
    }

    #[test]
    fn polygons_are_checked_whole() {
        assert!(polygon("0,0;1,0;1,1;0,0").is_ok(), "a closing repeat");
        assert!(polygon("0,0;1,0;0,0").unwrap_err().contains("2 distinct"));
        assert!(polygon("0,0;1,x;1,1").unwrap_err().contains("vertex 2"));
        assert!(polygon("0,0;1,NaN;1,1").unwrap_err().contains("vertex 2"));
        assert!(polygon("0,0;1,0;1,91").unwrap_err().contains("vertex 3"));
        assert!(polygon("0,0;1,0;;1,1").unwrap_err().contains("vertex 3"));
        let ring = |n: usize| {
            (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    format!("{},{}", a.cos(), a.sin())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(polygon(&ring(MAX_VERTICES).join(";")).unwrap().vertices().len(), MAX_VERTICES);
        let mut closed = ring(MAX_VERTICES);
        closed.push(closed[0].clone());
        assert!(polygon(&closed.join(";")).is_ok(), "the closing repeat is not counted");
        assert!(polygon(&ring(MAX_VERTICES + 1).join(";")).unwrap_err().contains("more than"));
    }
}
