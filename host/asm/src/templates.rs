//! ASM's e-mails from dealer-editable templates (the source's "ASM Email Templates ...
//! under the Dealer Information -> Email Templates menu"): one per dealer and kind of
//! e-mail — a consumable alert, a service alert, and the redirect of either to the
//! dealer admin — each a subject and a plain-text body in Jinja syntax
//! ([minijinja](https://docs.rs/minijinja)) over the alert's [`AlertFields`].
//!
//! A template is checked when saved ([`check`]): a syntax error, or a field the alert
//! does not have (`{{ device.colour }}`), is refused naming the template line, since
//! undefined fields are strict errors rather than blanks in a dealer's customer mail.
//! A dealer without its own template of a kind uses its nearest dealer above's, else
//! the built-in one ([`template_for`]); the e-mail of a device is its dealer's
//! ([`crate::AccountTree::dealer_of`]), as for part costs.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use crate::hierarchy::AccountTree;
use crate::ids::AccountId;

/// Longest subject a template may have, in characters.
pub const MAX_SUBJECT_CHARS: usize = 1_000;

/// Longest body a template may have, in characters.
pub const MAX_BODY_CHARS: usize = 50_000;

/// Steps one rendering may take: far beyond any e-mail, and a loop a dealer got wrong
/// ends with an error instead of holding the scheduler.
const FUEL: u64 = 200_000;

/// Which e-mail a template writes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateKind {
    /// A consumable alert's e-mail action.
    ConsumableAlert,
    /// A service alert's e-mail action.
    ServiceAlert,
    /// Either, redirected to the dealer admin (no valid recipient, or it failed).
    Redirect,
}

impl TemplateKind {
    /// Every kind, in order.
    pub const ALL: [TemplateKind; 3] = [
        TemplateKind::ConsumableAlert,
        TemplateKind::ServiceAlert,
        TemplateKind::Redirect,
    ];
}

/// A subject and body template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EmailTemplate {
    /// The subject; rendered on one line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

/// The device an alert is about, as templates name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceFields {
    /// Its id.
    pub id: i64,
    /// Its make.
    pub manufacturer: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// Make and model together (`Kyocera ECOSYS M5526cdw`).
    pub name: String,
    /// Its serial number.
    pub serial: Option<String>,
    /// Its network address.
    pub address: Option<String>,
}

/// Everything a template may print about an alert; an absent value is `none`, which
/// `{% if part_cost %}` tests and `{{ device.serial or "no serial" }}` replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertFields {
    /// The alert definition's name.
    pub definition: String,
    /// The device's account's name.
    pub account: String,
    /// The device's account's id.
    pub account_id: i64,
    /// The device.
    pub device: DeviceFields,
    /// What triggered, in words (`toner:black:1 at 15 %`, `paper-jam`).
    pub trigger: String,
    /// The consumable's position (`toner:black:1`); none for a service alert.
    pub consumable: Option<String>,
    /// The consumable's last level in percent; none for a service alert or unknown.
    pub level: Option<u8>,
    /// The printer error state (`paper-jam`); none for a consumable alert.
    pub error_state: Option<String>,
    /// When it first triggered (RFC 3339, UTC).
    pub first_triggered: String,
    /// When it last triggered (RFC 3339, UTC).
    pub last_triggered: String,
    /// The alert's status (`alert`, `overdue`, …).
    pub status: String,
    /// The consumable's part number, as the device last reported it.
    pub part_number: Option<String>,
    /// The part's cost as the consumable cost setting quotes it (`89.90`).
    pub part_cost: Option<String>,
    /// Where the cost came from (`dealer Northwind`, `supplier Acme Supplies`).
    pub part_cost_source: Option<String>,
    /// Why the e-mail went to the dealer admin; none unless it was redirected.
    pub redirect_reason: Option<String>,
}

impl AlertFields {
    /// Fields with every value present: what a template is checked against.
    pub fn sample() -> AlertFields {
        AlertFields {
            definition: "Toner low".into(),
            account: "Acme".into(),
            account_id: 3,
            device: DeviceFields {
                id: 7,
                manufacturer: Some("Kyocera".into()),
                model: Some("ECOSYS M5526cdw".into()),
                name: "Kyocera ECOSYS M5526cdw".into(),
                serial: Some("VD20000001".into()),
                address: Some("10.0.0.7".into()),
            },
            trigger: "toner:black:1 at 15 %".into(),
            consumable: Some("toner:black:1".into()),
            level: Some(15),
            error_state: Some("paper-jam".into()),
            first_triggered: "2026-12-01T09:00:00+00:00".into(),
            last_triggered: "2026-12-01T10:00:00+00:00".into(),
            status: "alert".into(),
            part_number: Some("TK-5240K".into()),
            part_cost: Some("89.90".into()),
            part_cost_source: Some("dealer Northwind".into()),
            redirect_reason: Some("no-valid-recipient".into()),
        }
    }

    /// Every name a template may use (`device`, `device.serial`), by serialising the
    /// sample: the struct is the one list.
    fn names() -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(AlertFields::sample()) {
            for (name, value) in fields {
                if let serde_json::Value::Object(inner) = value {
                    names.extend(inner.keys().map(|key| format!("{name}.{key}")));
                }
                names.insert(name);
            }
        }
        names
    }
}

/// A template and the e-mail it renders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RenderedEmail {
    /// The subject, one line.
    pub subject: String,
    /// The body.
    pub body: String,
}

/// What is wrong with a template: the part (`subject` or `body`), the line in it, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}, line {line}: {message}")]
pub struct TemplateProblem {
    /// `subject` or `body`.
    pub part: &'static str,
    /// The line of that part, from 1.
    pub line: usize,
    /// Why, naming the field when one is unknown.
    pub message: String,
}

/// Names templates may use besides the fields: minijinja's global functions and the
/// loop variables it defines itself.
const GLOBALS: [&str; 5] = ["range", "dict", "namespace", "debug", "loop"];

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_fuel(Some(FUEL));
    env
}

/// Refuses a template with a syntax error, an unknown field, or one that does not
/// render for an alert with every field present (a filter that does not exist, a
/// subject that renders empty), naming the part and line.
pub fn check(template: &EmailTemplate) -> Result<(), TemplateProblem> {
    for (part, source, limit) in [
        ("subject", &template.subject, MAX_SUBJECT_CHARS),
        ("body", &template.body, MAX_BODY_CHARS),
    ] {
        let chars = source.chars().count();
        if chars > limit {
            return Err(TemplateProblem {
                part,
                line: 1,
                message: format!("{chars} characters; at most {limit}"),
            });
        }
        check_part(part, source)?;
    }
    let rendered = render(template, &AlertFields::sample())?;
    if rendered.subject.is_empty() {
        return Err(TemplateProblem {
            part: "subject",
            line: 1,
            message: "renders empty".into(),
        });
    }
    Ok(())
}

fn check_part(part: &'static str, source: &str) -> Result<(), TemplateProblem> {
    let env = environment();
    let compiled = env
        .template_from_str(source)
        .map_err(|error| problem(part, &error))?;
    let known = AlertFields::names();
    let unknown: BTreeSet<String> = compiled
        .undeclared_variables(true)
        .into_iter()
        .filter(|name| !known.contains(name) && !GLOBALS.contains(&name.as_str()))
        .collect();
    let first = unknown
        .iter()
        .map(|name| (line_of(source, name), name))
        .min();
    match first {
        Some((line, name)) => Err(TemplateProblem {
            part,
            line,
            message: format!(
                "`{name}` is not a field of an alert; the fields are {}",
                known.into_iter().collect::<Vec<_>>().join(", ")
            ),
        }),
        None => Ok(()),
    }
}

/// The first line, from 1, where `name` (`device.colour`) is used inside a tag (`{{ }}`,
/// `{% %}`): a dotted name there that is it or starts with it (`device.colour.x`), so
/// `{{ device.name }}` is not where an unknown `name` is; 1 when it cannot be found.
fn line_of(source: &str, name: &str) -> usize {
    let is = |word: &str| {
        word == name
            || word
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    let mut line = 1;
    let mut in_tag = false;
    let mut word = String::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        if in_tag && (c.is_alphanumeric() || c == '_' || (c == '.' && !word.is_empty())) {
            word.push(c);
            continue;
        }
        if is(&word) {
            return line;
        }
        word.clear();
        match (c, next) {
            ('{', Some('{' | '%')) if !in_tag => {
                in_tag = true;
                chars.next();
            }
            ('}' | '%', Some('}')) if in_tag => {
                in_tag = false;
                chars.next();
            }
            ('\n', _) => line += 1,
            _ => {}
        }
    }
    if is(&word) { line } else { 1 }
}

fn problem(part: &'static str, error: &minijinja::Error) -> TemplateProblem {
    TemplateProblem {
        part,
        line: error.line().unwrap_or(1),
        message: match error.detail() {
            Some(detail) => format!("{}: {detail}", error.kind()),
            None => error.kind().to_string(),
        },
    }
}

/// The e-mail `template` writes about `fields`; the subject's lines are joined by
/// spaces and trimmed, since a subject is one line.
pub fn render(
    template: &EmailTemplate,
    fields: &AlertFields,
) -> Result<RenderedEmail, TemplateProblem> {
    let env = environment();
    let context = Value::from(minijinja::value::Serde(fields));
    let one = |part: &'static str, source: &str| {
        env.template_from_str(source)
            .and_then(|compiled| compiled.render(context.clone()))
            .map_err(|error| problem(part, &error))
    };
    let subject = one("subject", &template.subject)?;
    let body = one("body", &template.body)?;
    Ok(RenderedEmail {
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        body,
    })
}

/// Quire's own wording of each kind, used where no dealer above wrote one.
pub fn built_in(kind: TemplateKind) -> EmailTemplate {
    let alert = "Alert: {{ definition }}\n\
                 Account: {{ account }}\n\
                 Device: {{ device.name }}, serial {{ device.serial or \"no serial\" }}, {{ device.address or \"\" }} (device {{ device.id }})\n\
                 Trigger: {{ trigger }}\n\
                 {% if part_number %}Part: {{ part_number }}{% if part_cost %}, {{ part_cost }} ({{ part_cost_source }}){% endif %}\n{% endif %}\
                 First triggered: {{ first_triggered }}\n\
                 Last triggered: {{ last_triggered }}\n\
                 Status: {{ status }}\n";
    let subject = "{{ definition }}: {{ trigger }} on {{ device.name }} {{ device.serial or \"no serial\" }} ({{ account }})";
    let body = match kind {
        TemplateKind::ConsumableAlert | TemplateKind::ServiceAlert => alert.to_owned(),
        TemplateKind::Redirect => format!(
            "This alert e-mail came to you, the dealer admin, because {{{{ redirect_reason }}}}.\n\n{alert}"
        ),
    };
    EmailTemplate {
        subject: subject.into(),
        body,
    }
}

/// Where the template an e-mail uses came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all = "kebab-case",
    tag = "from",
    rename_all_fields = "kebab-case"
)]
pub enum TemplateSource {
    /// A dealer's own: the e-mail's dealer's, or the nearest dealer above it with one.
    Dealer {
        /// The dealer that wrote it.
        dealer: AccountId,
    },
    /// Quire's built-in wording.
    BuiltIn,
    /// The template a preview was given.
    Given,
}

/// The template of `kind` for a device of `account`: its dealer's own, else the nearest
/// dealer above's, else the built-in one; with where it came from.
pub fn template_for(
    kind: TemplateKind,
    account: AccountId,
    tree: &AccountTree,
    own: &BTreeMap<(AccountId, TemplateKind), EmailTemplate>,
) -> (EmailTemplate, TemplateSource) {
    let dealer = tree.dealer_of(account);
    std::iter::once(dealer)
        .chain(tree.dealer_ancestors(dealer))
        .find_map(|dealer| {
            own.get(&(dealer, kind))
                .map(|template| (template.clone(), TemplateSource::Dealer { dealer }))
        })
        .unwrap_or_else(|| (built_in(kind), TemplateSource::BuiltIn))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::AccountNode;

    fn template(subject: &str, body: &str) -> EmailTemplate {
        EmailTemplate {
            subject: subject.into(),
            body: body.into(),
        }
    }

    #[test]
    fn the_built_in_templates_check_and_word_an_alert_as_before() {
        for kind in TemplateKind::ALL {
            check(&built_in(kind)).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        }
        let mut fields = AlertFields::sample();
        fields.device.serial = None;
        fields.part_cost = None;
        let email = render(&built_in(TemplateKind::ConsumableAlert), &fields).unwrap();
        assert_eq!(
            email.subject,
            "Toner low: toner:black:1 at 15 % on Kyocera ECOSYS M5526cdw no serial (Acme)"
        );
        assert!(email.body.contains("Account: Acme\n"), "{}", email.body);
        assert!(email.body.contains("Part: TK-5240K\n"), "{}", email.body);
        let redirect = render(&built_in(TemplateKind::Redirect), &AlertFields::sample()).unwrap();
        assert!(
            redirect.body.starts_with(
                "This alert e-mail came to you, the dealer admin, because no-valid-recipient."
            ),
            "{}",
            redirect.body
        );
        assert!(
            redirect
                .body
                .contains("Part: TK-5240K, 89.90 (dealer Northwind)\n"),
            "{}",
            redirect.body
        );
    }

    #[test]
    fn a_template_with_an_unknown_field_or_bad_syntax_is_refused_naming_part_and_line() {
        let cases = [
            (
                template(
                    "{{ definition }}",
                    "Hello\n{{ account }}\nColour: {{ device.colour }}",
                ),
                "body",
                3,
                "`device.colour`",
            ),
            (
                template("{{ definiton }}", "x"),
                "subject",
                1,
                "`definiton`",
            ),
            (
                template("x", "a\n{% if part_cost %}\n{{ cost }}{% endif %}"),
                "body",
                3,
                "`cost`",
            ),
            (
                template("x", "{{ device.name }}\n{{ name }}"),
                "body",
                2,
                "`name`",
            ),
            (
                template("x", "a\nb\n{% if level > 10 %}low"),
                "body",
                3,
                "syntax error",
            ),
            (
                template("x", "{{ account | no_such_filter }}"),
                "body",
                1,
                "no_such_filter",
            ),
            (template("{{ '' }}", "x"), "subject", 1, "renders empty"),
        ];
        for (template, part, line, says) in cases {
            let problem = check(&template).expect_err(&template.body);
            assert_eq!((problem.part, problem.line), (part, line), "{problem}");
            assert!(problem.message.contains(says), "{problem}");
        }
        check(&template(
            "{{ definition }} {{ device.serial }}",
            "{% for n in range(2) %}{{ loop.index }}{% endfor %}{% set x = level %}{{ x }}",
        ))
        .unwrap();
    }

    #[test]
    fn a_dealer_without_its_own_template_uses_its_nearest_dealer_above_else_the_built_in() {
        let (main, region, branch, customer) =
            (AccountId(1), AccountId(2), AccountId(3), AccountId(4));
        let node = |parent, is_dealer| AccountNode { parent, is_dealer };
        let tree = AccountTree {
            accounts: BTreeMap::from([
                (main, node(None, true)),
                (region, node(Some(main), true)),
                (branch, node(Some(region), true)),
                (customer, node(Some(branch), false)),
            ]),
            main_dealer: main,
        };
        let regional = template("Region: {{ definition }}", "r");
        let own = BTreeMap::from([((region, TemplateKind::ConsumableAlert), regional.clone())]);
        assert_eq!(
            template_for(TemplateKind::ConsumableAlert, customer, &tree, &own),
            (regional, TemplateSource::Dealer { dealer: region })
        );
        assert_eq!(
            template_for(TemplateKind::ServiceAlert, customer, &tree, &own),
            (
                built_in(TemplateKind::ServiceAlert),
                TemplateSource::BuiltIn
            )
        );
        assert_eq!(
            template_for(TemplateKind::ConsumableAlert, main, &tree, &own).1,
            TemplateSource::BuiltIn
        );
    }
}
