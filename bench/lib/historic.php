<?php
// historic.php - the "historic" way to handle worm probes, for comparison:
// mod_rewrite sends every probe here; on EVERY hit the script
// reverse-resolves the client, derives its domain, mails
// postmaster@<domain> and answers 404. bench/run.sh points PHP's
// sendmail_path at "cat >> FILE", so no mail leaves the machine, and the
// client is 127.0.0.1, which /etc/hosts answers (no DNS packet).
// Method from ../shared/bench/run-anchors.sh (the project's anchor figures).
$ip   = $_SERVER['REMOTE_ADDR'];
$host = gethostbyaddr($ip);
$domain = $host;
if ($host !== false && $host !== $ip) {
    $labels = explode('.', $host);
    if (count($labels) > 2) {
        $domain = implode('.', array_slice($labels, -2));
    }
}
$url = isset($_GET['url']) ? $_GET['url'] : $_SERVER['REQUEST_URI'];
$to = 'postmaster@' . $domain;
$subject = "Worm probe from $ip ($host)";
$body = "A host in your domain ($ip, $host) sent a request typical of the\n"
      . "Nimda / Code Red worms:\n\n  " . substr($url, 0, 200) . "\n\nat "
      . gmdate('D, d M Y H:i:s') . " GMT. Please check it for infection.\n";
mail($to, $subject, $body,
     "From: webmaster@bench.invalid\r\nX-Bench-Notice: historic");
header('HTTP/1.1 404 Not Found');
header('Content-Type: text/html');
echo "<html><body><h1>Not Found</h1><p>Worm probe logged; postmaster@",
     htmlspecialchars($domain), " has been notified.</p></body></html>\n";
