
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mqrr' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mqrr'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mqrr' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host [default: localhost] [env: MQRR_HOST]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host [default: localhost] [env: MQRR_HOST]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect over a unix domain socket')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name [env: MQRR_USERNAME]')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name [env: MQRR_USERNAME]')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of this file')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client id [default: mqrr- and a random suffix]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: mqrr- and a random suffix]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client id prefix, followed by a random suffix')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client id prefix, followed by a random suffix')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keep-alive interval in seconds')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keep-alive interval in seconds')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'CA certificates file to verify the broker with (turns TLS on)')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Directory of CA certificates to verify the broker with (turns TLS on)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate, PEM (turns TLS on)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key, PEM (turns TLS on)')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'TLS version: tlsv1.2 pins TLS 1.2; tlsv1.3 lets OpenSSL negotiate its highest (turns TLS on)')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic to publish the request on')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic to publish the request on')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Topic filter to wait for the response on (wildcards allowed)')
            [CompletionResult]::new('--response-topic', '--response-topic', [CompletionResultType]::ParameterName, 'Topic filter to wait for the response on (wildcards allowed)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Request payload')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Request payload')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read the payload from a file, byte for byte')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'QoS of the request and the response subscription')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'QoS of the request and the response subscription')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Overall deadline from start, connecting included: 5 (seconds), 500ms, 1m30s; 0 waits forever')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Overall deadline from start, connecting included: 5 (seconds), 500ms, 1m30s; 0 waits forever')
            [CompletionResult]::new('--resend', '--resend', [CompletionResultType]::ParameterName, 'Publish the request again at this interval while waiting')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Exit after N matching responses; 0 collects until the deadline')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after N matching responses; 0 collects until the deadline')
            [CompletionResult]::new('--correlation', '--correlation', [CompletionResultType]::ParameterName, 'MQTT 5 correlation: auto drops responses carrying someone else''s correlation data, strict accepts only ours, off sends and checks none')
            [CompletionResult]::new('--user-property', '--user-property', [CompletionResultType]::ParameterName, 'MQTT 5 user property on the request (repeatable)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Match and print only this RFC 6901 JSON pointer, e.g. /data/0/value (strings print unquoted)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Match and print only this RFC 6901 JSON pointer, e.g. /data/0/value (strings print unquoted)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Match this regex and print capture group 1 (or the whole match)')
            [CompletionResult]::new('--regex', '--regex', [CompletionResultType]::ParameterName, 'Match this regex and print capture group 1 (or the whole match)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Print only these fields, as cut -f: N, N-, N-M, -M, comma lists')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'Print only these fields, as cut -f: N, N-, N-M, -M, comma lists')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Field delimiter for -f')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'Field delimiter for -f')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the broker''s certificate or host name')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Trace connection steps and packets to stderr (never the password)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no diagnostics; the exit status tells what happened')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Send an empty payload (the default)')
            [CompletionResult]::new('--null-message', '--null-message', [CompletionResultType]::ParameterName, 'Send an empty payload (the default)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Read the payload from stdin, byte for byte')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Read the payload from stdin, byte for byte')
            [CompletionResult]::new('--retain', '--retain', [CompletionResultType]::ParameterName, 'Publish the request retained (thin-edge.io commands are retained requests)')
            [CompletionResult]::new('--retained', '--retained', [CompletionResultType]::ParameterName, 'Also accept retained messages as responses')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'Print no newline after each response')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the response topic before the payload: TOPIC PAYLOAD')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the response topic before the payload: TOPIC PAYLOAD')
            [CompletionResult]::new('c8y-token', 'c8y-token', [CompletionResultType]::ParameterValue, 'Fetch the Cumulocity JWT over a thin-edge.io bridge (c8y/s/uat → 71,<JWT> on c8y/s/dat)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Answer requests: subscribe to FILTER and reply on each request''s response topic with the request payload, a fixed text or a command''s stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mqrr;c8y-token' {
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Bridge topic prefix [default: c8y.bridge.topic_prefix from tedge.toml, else c8y]')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Overall deadline from start, connecting included: 30 (seconds), 500ms, 1m30s; 0 waits forever')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Overall deadline from start, connecting included: 30 (seconds), 500ms, 1m30s; 0 waits forever')
            [CompletionResult]::new('--resend', '--resend', [CompletionResultType]::ParameterName, 'Publish the request again at this interval while waiting')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'What to print')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'What to print')
            [CompletionResult]::new('--min-valid', '--min-valid', [CompletionResultType]::ParameterName, 'Fail (exit 1) if the token expires sooner than this [default with --cache: 60s]')
            [CompletionResult]::new('--cache', '--cache', [CompletionResultType]::ParameterName, 'Reuse the token cached in this file while it stays valid; refresh it otherwise')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host [default: localhost] [env: MQRR_HOST]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host [default: localhost] [env: MQRR_HOST]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect over a unix domain socket')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name [env: MQRR_USERNAME]')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name [env: MQRR_USERNAME]')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of this file')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client id [default: mqrr- and a random suffix]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: mqrr- and a random suffix]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client id prefix, followed by a random suffix')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client id prefix, followed by a random suffix')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keep-alive interval in seconds')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keep-alive interval in seconds')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'CA certificates file to verify the broker with (turns TLS on)')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Directory of CA certificates to verify the broker with (turns TLS on)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate, PEM (turns TLS on)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key, PEM (turns TLS on)')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'TLS version: tlsv1.2 pins TLS 1.2; tlsv1.3 lets OpenSSL negotiate its highest (turns TLS on)')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--no-tedge-config', '--no-tedge-config', [CompletionResultType]::ParameterName, 'Ignore thin-edge.io''s tedge.toml')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the broker''s certificate or host name')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Trace connection steps and packets to stderr (never the password)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no diagnostics; the exit status tells what happened')
            break
        }
        'mqrr;serve' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic filter to answer requests on (repeatable)')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic filter to answer requests on (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'QoS of the subscription and the replies')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'QoS of the subscription and the replies')
            [CompletionResult]::new('--reply-topic', '--reply-topic', [CompletionResultType]::ParameterName, 'Reply here when a request carries no Response Topic (MQTT 3.1.1 requesters)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Exit after N replies')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after N replies')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests handled at once')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests handled at once')
            [CompletionResult]::new('--exec-timeout', '--exec-timeout', [CompletionResultType]::ParameterName, 'Give up on a command after this long (no reply is sent)')
            [CompletionResult]::new('--reply', '--reply', [CompletionResultType]::ParameterName, 'Reply with this fixed text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host [default: localhost] [env: MQRR_HOST]')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host [default: localhost] [env: MQRR_HOST]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]')
            [CompletionResult]::new('-L', '-L ', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect over a unix domain socket')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name [env: MQRR_USERNAME]')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name [env: MQRR_USERNAME]')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of this file')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client id [default: mqrr- and a random suffix]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client id [default: mqrr- and a random suffix]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client id prefix, followed by a random suffix')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client id prefix, followed by a random suffix')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keep-alive interval in seconds')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keep-alive interval in seconds')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)')
            [CompletionResult]::new('--protocol', '--protocol', [CompletionResultType]::ParameterName, 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)')
            [CompletionResult]::new('--cafile', '--cafile', [CompletionResultType]::ParameterName, 'CA certificates file to verify the broker with (turns TLS on)')
            [CompletionResult]::new('--capath', '--capath', [CompletionResultType]::ParameterName, 'Directory of CA certificates to verify the broker with (turns TLS on)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Client certificate, PEM (turns TLS on)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Client private key, PEM (turns TLS on)')
            [CompletionResult]::new('--tls-version', '--tls-version', [CompletionResultType]::ParameterName, 'TLS version: tlsv1.2 pins TLS 1.2; tlsv1.3 lets OpenSSL negotiate its highest (turns TLS on)')
            [CompletionResult]::new('--tls-alpn', '--tls-alpn', [CompletionResultType]::ParameterName, 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Reply with the request payload')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the broker''s certificate or host name')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Trace connection steps and packets to stderr (never the password)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no diagnostics; the exit status tells what happened')
            break
        }
        'mqrr;help' {
            [CompletionResult]::new('c8y-token', 'c8y-token', [CompletionResultType]::ParameterValue, 'Fetch the Cumulocity JWT over a thin-edge.io bridge (c8y/s/uat → 71,<JWT> on c8y/s/dat)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Answer requests: subscribe to FILTER and reply on each request''s response topic with the request payload, a fixed text or a command''s stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mqrr;help;c8y-token' {
            break
        }
        'mqrr;help;serve' {
            break
        }
        'mqrr;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
