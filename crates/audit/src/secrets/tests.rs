use super::*;

/// Tokens are assembled here so no file of the repository holds one whole.
fn token(prefix: &str, alphabet: &str, n: usize) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let body: String = (0..n).map(|i| chars[(i * 7 + 3) % chars.len()]).collect();
    format!("{prefix}{body}")
}

const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn rules_hit(path: &str, text: &str) -> Vec<String> {
    rules()
        .scan(path, text.as_bytes())
        .into_iter()
        .map(|m| m.rule)
        .collect()
}

#[test]
fn every_content_rule_has_a_true_and_a_false_example() {
    let pem_body = token("", ALNUM, 64);
    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "private-key",
            format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{pem_body}\n-----END OPENSSH PRIVATE KEY-----\n"),
            // A marker in documentation, with no key body.
            "Keys start with -----BEGIN RSA PRIVATE KEY----- and end ...".to_string(),
            "app/key.pem",
        ),
        (
            "aws-access-key-id",
            format!("aws_access_key_id = {}\n", token("AKIA", UPPER32, 16)),
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n".to_string(),
            "root/.aws/credentials",
        ),
        (
            "aws-secret-access-key",
            format!("aws_secret_access_key = {}\n", token("", ALNUM, 40)),
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n".to_string(),
            "root/.aws/credentials",
        ),
        (
            "gcp-service-account",
            format!(
                "{{\"type\": \"service_account\", \"project_id\": \"p\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{pem_body}\"}}"
            ),
            "{\"type\": \"service_account\", \"project_id\": \"p\"}".to_string(),
            "app/sa.json",
        ),
        (
            "azure-storage-key",
            format!(
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={}==",
                token("", ALNUM, 86)
            ),
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=<your key>".to_string(),
            "app/settings.ini",
        ),
        (
            "github-token",
            format!("GITHUB_TOKEN={}\n", token("ghp_", ALNUM, 36)),
            "export GITHUB_TOKEN=ghp_xxxx\n".to_string(),
            "app/.bashrc",
        ),
        (
            "gitlab-token",
            format!("token: {}\n", token("glpat-", ALNUM, 20)),
            "token: glpat-\n".to_string(),
            "app/ci.yml",
        ),
        (
            "slack-token",
            format!("SLACK={}\n", token("xoxb-1234567890-", ALNUM, 24)),
            "xoxo, the team\n".to_string(),
            "app/notes.txt",
        ),
        (
            "npm-token",
            format!("//registry.example/:_authToken={}\n", token("", ALNUM, 36)),
            "//registry.example/:_authToken=${NPM_TOKEN}\n".to_string(),
            "root/.npmrc",
        ),
        (
            "pypi-token",
            format!("password = {}\n", token("pypi-AgEIcHlwaS5vcmc", ALNUM, 60)),
            "password = pypi-\n".to_string(),
            "app/upload.cfg",
        ),
        (
            "docker-config-auth",
            format!(
                "{{\"auths\": {{\"registry.example\": {{\"auth\": \"{}\"}}}}}}",
                token("", ALNUM, 24)
            ),
            "{\"auths\": {\"registry.example\": {}}, \"credsStore\": \"desktop\"}".to_string(),
            "root/.docker/config.json",
        ),
        (
            "pypirc-password",
            "[pypi]\nusername = __token__\npassword = s3cr3t\n".to_string(),
            "[pypi]\nusername = __token__\n".to_string(),
            "root/.pypirc",
        ),
    ];
    let mut covered: Vec<&str> = Vec::new();
    for (rule, yes, no, path) in &cases {
        assert!(
            rules_hit(path, yes).contains(&rule.to_string()),
            "{rule} should fire on {yes:?}"
        );
        assert!(
            !rules_hit(path, no).contains(&rule.to_string()),
            "{rule} should not fire on {no:?}"
        );
        covered.push(rule);
    }
    for r in &rules().content {
        assert!(
            covered.contains(&r.id.as_str()),
            "content rule {} has no test case",
            r.id
        );
    }
    // A rule limited to some files does not fire elsewhere.
    let auth = &cases.iter().find(|c| c.0 == "docker-config-auth").unwrap().1;
    assert!(rules_hit("app/data.json", auth).is_empty());
}

#[test]
fn excerpts_never_hold_the_secret() {
    let key = token("AKIA", UPPER32, 16);
    let found = rules().scan("x", format!("line one\nid={key}\n").as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2);
    assert_eq!(found[0].excerpt, format!("AKIA{}", "*".repeat(16)));
    assert!(!found[0].excerpt.contains(&key[4..]));
}

#[test]
fn path_rules_and_their_exceptions() {
    let ids = |p: &str| rules().path_matches(p).map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids("app/.env"), ["dotenv"]);
    assert_eq!(ids("root/.ssh/id_ed25519"), ["ssh-private-key-file"]);
    assert!(ids("root/.ssh/id_ed25519.pub").is_empty());
    assert_eq!(ids("root/.aws/credentials"), ["aws-credentials-file"]);
    assert_eq!(ids("src/app/.git/HEAD"), ["git-directory"]);
    assert!(ids("usr/share/doc/env.txt").is_empty());
    for r in &rules().path {
        assert!(
            [
                "dotenv",
                "ssh-private-key-file",
                "aws-credentials-file",
                "git-directory"
            ]
            .contains(&r.id.as_str()),
            "path rule {} has no test case",
            r.id
        );
    }
}

#[test]
fn binary_files_are_not_searched() {
    let mut data = b"\0\0\0".to_vec();
    data.extend_from_slice(token("AKIA", UPPER32, 16).as_bytes());
    assert!(rules().scan("bin/x", &data).is_empty());
}
