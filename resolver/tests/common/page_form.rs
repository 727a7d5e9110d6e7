//! The confirm page's form as a browser submits it: every `<input>` read from the HTML (quoted
//! or bare attributes), so a test can tick and untick boxes and post exactly what a browser
//! would — hidden fields, ticked boxes, typed text; unticked boxes send nothing.

/// One `<input>` of the page.
#[derive(Debug, Clone)]
pub struct Input {
    pub kind: String,
    pub name: String,
    pub value: String,
    pub checked: bool,
}

/// The inputs of a page's form, in page order.
#[derive(Debug, Clone)]
pub struct PageForm(pub Vec<Input>);

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `(name, value)` of each attribute in the inside of a tag (`type=checkbox name="x" checked`).
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag.trim_start();
    while !rest.is_empty() {
        let end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let value = if let Some(after) = rest.strip_prefix('=') {
            let (value, tail) = match after.strip_prefix('"') {
                Some(quoted) => quoted.split_once('"').unwrap(),
                None => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
            };
            rest = tail;
            unescape(value)
        } else {
            String::new()
        };
        out.push((name, value));
        rest = rest.trim_start();
    }
    out
}

impl PageForm {
    /// Reads every `<input …>` of `html`.
    pub fn parse(html: &str) -> Self {
        let inputs = html.split("<input").skip(1).map(|chunk| {
            let attrs = attributes(chunk.split_once('>').unwrap().0);
            let get = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            Input { kind: get("type").unwrap_or_default(), name: get("name").unwrap_or_default(), value: get("value").unwrap_or_default(), checked: get("checked").is_some() }
        });
        Self(inputs.collect())
    }

    /// The inputs named `name`.
    pub fn named(&self, name: &str) -> Vec<&Input> {
        self.0.iter().filter(|i| i.name == name).collect()
    }

    /// Ticks (`true`) or unticks the box `name=value`; panics when the page has no such box.
    pub fn tick(&mut self, name: &str, value: &str, checked: bool) -> &mut Self {
        let input = self.0.iter_mut().find(|i| i.name == name && i.value == value).unwrap_or_else(|| panic!("no box {name}={value}"));
        input.checked = checked;
        self
    }

    /// Types `text` into the text field `name`.
    pub fn type_into(&mut self, name: &str, text: &str) -> &mut Self {
        self.0.iter_mut().find(|i| i.name == name && i.kind == "text").unwrap_or_else(|| panic!("no text field {name}")).value = text.into();
        self
    }

    /// The pairs a browser would submit.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.0.iter().filter(|i| i.kind != "checkbox" || i.checked).map(|i| (i.name.clone(), i.value.clone())).collect()
    }

    /// The urlencoded body a browser would submit.
    pub fn body(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(self.pairs()).finish()
    }
}
