//! A YAML document as a tree with positions: what the importers read, since
//! compose files and Backstage catalogs are too loose for strict structs
//! (unknown keys are normal there) and their notes need line numbers.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use crate::model::raw::At;

/// One YAML node. Maps keep their keys in file order (the parser refuses
/// duplicate keys, so a linear lookup is exact).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `~` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// Text.
    Str(String),
    /// A list.
    Seq(Vec<At<Node>>),
    /// A map, in file order.
    Map(Vec<(At<String>, At<Node>)>),
}

impl Node {
    /// The value under `key`, when this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&At<Node>> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entries, when this is a map.
    pub fn as_map(&self) -> Option<&[(At<String>, At<Node>)]> {
        match self {
            Node::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, when this is a list.
    pub fn as_seq(&self) -> Option<&[At<Node>]> {
        match self {
            Node::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A scalar as the text it stands for (`8080`, `true`, `db`); `None` for
    /// null, lists and maps.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Str(s) => Some(s.clone()),
            Node::Int(i) => Some(i.to_string()),
            Node::Float(f) => Some(f.to_string()),
            Node::Bool(b) => Some(b.to_string()),
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
        }
    }

    /// What this node is, for messages ("a list", "a number" …).
    pub fn shape(&self) -> &'static str {
        match self {
            Node::Null => "empty",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::Float(_) => "a number",
            Node::Str(_) => "text",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a map",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
                Ok(Node::Float(v as f64))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
                Ok(Node::Float(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<At<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<At<String>, At<Node>>()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Pos;
    use crate::model::load::{parse_yaml, parse_yaml_documents};

    #[test]
    fn keeps_order_positions_and_scalars() {
        let doc: At<Node> =
            parse_yaml("b: 1\na:\n  - x\n  - { y: true, z: ~ }\nc: 1.5\n").expect("yaml");
        let map = doc.value.as_map().expect("map");
        let keys: Vec<&str> = map.iter().map(|(k, _)| k.value.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        let a = doc.value.get("a").expect("a");
        assert_eq!(a.pos, Pos::new(3, 3));
        let items = a.value.as_seq().expect("seq");
        assert_eq!(items[0].value, Node::Str("x".into()));
        assert_eq!(items[1].pos, Pos::new(4, 5));
        assert_eq!(
            items[1].value.get("y").map(|v| &v.value),
            Some(&Node::Bool(true))
        );
        assert_eq!(items[1].value.get("z").map(|v| &v.value), Some(&Node::Null));
        assert_eq!(
            doc.value.get("b").and_then(|v| v.value.scalar_text()),
            Some("1".into())
        );
        assert_eq!(
            doc.value.get("c").map(|v| &v.value),
            Some(&Node::Float(1.5))
        );
    }

    #[test]
    fn merge_keys_expand_and_documents_split() {
        let doc: At<Node> =
            parse_yaml("x: &base { image: redis }\ncache:\n  <<: *base\n  ports: [1]\n")
                .expect("yaml");
        let cache = doc.value.get("cache").expect("cache");
        assert_eq!(
            cache.value.get("image").and_then(|v| v.value.as_str()),
            Some("redis")
        );
        let docs: Vec<At<Node>> =
            parse_yaml_documents("---\nkind: A\n---\n---\nkind: B\n").expect("yaml");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].pos.line, 5);
    }
}
