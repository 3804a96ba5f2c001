# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mqrr_global_optspecs
    string join \n help version h/host= p/port= L/url= unix= u/username= P/password= password-file= i/id= I/id-prefix= k/keepalive= V/protocol= cafile= capath= cert= key= tls-version= ciphers= tls-use-os-certs psk= psk-identity= tls-alpn= insecure D/property= will-topic= will-payload= will-qos= will-retain c/disable-clean-session x/session-expiry= nodelay A= proxy= keyform= tls-engine= tls-engine-kpass-sha1= options-file= debug quiet t/topic= e/response-topic= m/message= n/null-message s/stdin file= q/qos= W/timeout= resend= C/count= retain retained correlation= user-property= l/lines inflight= unordered batch-stats N v/verbose F/format= pretty j/json= r/regex= f/fields= d/delimiter=
end

function __fish_mqrr_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mqrr_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mqrr_using_subcommand
    set -l cmd (__fish_mqrr_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mqrr -n "__fish_mqrr_needs_command" -s h -l host -d 'Broker host [default: localhost] [env: MQRR_HOST]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s p -l port -d 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l unix -d 'Connect over a unix domain socket' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -s u -l username -d 'User name [env: MQRR_USERNAME]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s P -l password -d 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -s i -l id -d 'Client id [default: mqrr- and a random suffix]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s I -l id-prefix -d 'Client id prefix, followed by a random suffix' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s k -l keepalive -d 'Keep-alive interval in seconds' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s V -l protocol -d 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l cafile -d 'CA certificates file to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -l capath -d 'Directory of CA certificates to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -l cert -d 'Client certificate, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -l key -d 'Client private key, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -l tls-version -d 'Lowest TLS version: tlsv1.2 (OpenSSL\'s default, 1.2 or later). tlsv1.3 and tlsv1.1 are not supported: Paho C cannot pin them (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l ciphers -d 'TLS 1.2 cipher list, in OpenSSL\'s syntax (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l psk -d 'TLS-PSK key, in hex (with --psk-identity; turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l psk-identity -d 'TLS-PSK identity' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s D -l property -d 'MQTT 5 property CMD NAME VALUE (user-property takes NAME VALUE): CMD is connect, publish, subscribe, unsubscribe, disconnect or will; NAME as in the MQTT 5 spec, e.g. content-type, message-expiry-interval, session-expiry-interval (repeatable; implies MQTT 5)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l will-topic -d 'Last Will topic, published by the broker if mqrr\'s connection ends without a clean DISCONNECT' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l will-payload -d 'Last Will payload [default: empty]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l will-qos -d 'Last Will QoS' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s x -l session-expiry -d 'MQTT 5 Session Expiry Interval in seconds; -1 or ∞: never [default: -1 with -c, else 0]' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s A -d 'Bind to this local address (not supported: Paho C has no bind address)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l proxy -d 'SOCKS5 proxy URL (not supported: Paho C has HTTP proxies only)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l keyform -d 'Private key form (only pem is supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l tls-engine -d 'OpenSSL engine (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l tls-engine-kpass-sha1 -d 'Engine key password hash (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l options-file -d 'Read options from this file: one option and its value per line, # comments, as mosquitto\'s client config files; the command line wins (-o for requests, pub, sub and serve)' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -s t -l topic -d 'Topic to publish the request on' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s e -l response-topic -d 'Topic filter to wait for the response on (wildcards allowed)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s m -l message -d 'Request payload' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l file -d 'Read the payload from a file, byte for byte' -r -F
complete -c mqrr -n "__fish_mqrr_needs_command" -s q -l qos -d 'QoS of the request and the response subscription' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s W -l timeout -d 'Overall deadline from start, connecting included: 5 (seconds), 500ms, 1m30s; 0 waits forever. With -l: each request\'s deadline, counted from its publish' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l resend -d 'Publish the request again at this interval while waiting' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s C -l count -d 'Exit after N matching responses; 0 collects until the deadline' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l correlation -d 'MQTT 5 correlation: auto drops responses carrying someone else\'s correlation data, strict accepts only ours, off sends and checks none' -r -f -a "auto\t''
strict\t''
off\t''"
complete -c mqrr -n "__fish_mqrr_needs_command" -l user-property -d 'MQTT 5 user property on the request (repeatable)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l inflight -d 'Requests awaiting their response at once (MQTT 5; never more than the broker\'s Receive Maximum); MQTT 3.1.1 and --correlation off send one at a time' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s F -l format -d 'Print each message through this format, as mosquitto_sub -F (request mode: each response)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s j -l json -d 'Match and print only this RFC 6901 JSON pointer, e.g. /data/0/value (strings print unquoted)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s r -l regex -d 'Match this regex and print capture group 1 (or the whole match)' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s f -l fields -d 'Print only these fields, as cut -f: N, N-, N-M, -M, comma lists' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -s d -l delimiter -d 'Field delimiter for -f' -r
complete -c mqrr -n "__fish_mqrr_needs_command" -l help -d 'Print help'
complete -c mqrr -n "__fish_mqrr_needs_command" -l version -d 'Print version'
complete -c mqrr -n "__fish_mqrr_needs_command" -l tls-use-os-certs -d 'Verify the broker against the system\'s CA certificates (the default without --cafile or --capath; turns TLS on)'
complete -c mqrr -n "__fish_mqrr_needs_command" -l insecure -d 'Do not verify the broker\'s certificate or host name'
complete -c mqrr -n "__fish_mqrr_needs_command" -l will-retain -d 'Retain the Last Will'
complete -c mqrr -n "__fish_mqrr_needs_command" -s c -l disable-clean-session -d 'Keep the session when disconnecting (a persistent session; needs -i)'
complete -c mqrr -n "__fish_mqrr_needs_command" -l nodelay -d 'Set TCP_NODELAY (always on: Paho C sets it on every connection)'
complete -c mqrr -n "__fish_mqrr_needs_command" -l debug -d 'Trace connection steps and packets to stderr (never the password)'
complete -c mqrr -n "__fish_mqrr_needs_command" -l quiet -d 'Print no diagnostics; the exit status tells what happened'
complete -c mqrr -n "__fish_mqrr_needs_command" -s n -l null-message -d 'Send an empty payload (the default)'
complete -c mqrr -n "__fish_mqrr_needs_command" -s s -l stdin -d 'Read the payload from stdin, byte for byte'
complete -c mqrr -n "__fish_mqrr_needs_command" -l retain -d 'Publish the request retained (thin-edge.io commands are retained requests)'
complete -c mqrr -n "__fish_mqrr_needs_command" -l retained -d 'Also accept retained messages as responses'
complete -c mqrr -n "__fish_mqrr_needs_command" -s l -l lines -d 'One request per stdin line, all over one connection; prints one result per line, in input order (an empty line when a request got no response within -W)'
complete -c mqrr -n "__fish_mqrr_needs_command" -l unordered -d 'Print responses as they arrive instead of in input order (no empty line for an unanswered request)'
complete -c mqrr -n "__fish_mqrr_needs_command" -l batch-stats -d 'One stderr line at the end with the request rate and the latency percentiles (publish to matching response), for benchmarks'
complete -c mqrr -n "__fish_mqrr_needs_command" -s N -d 'Print no newline after each response'
complete -c mqrr -n "__fish_mqrr_needs_command" -s v -l verbose -d 'Print the response topic before the payload: TOPIC PAYLOAD'
complete -c mqrr -n "__fish_mqrr_needs_command" -l pretty -d 'Lay out %j and %J over several lines'
complete -c mqrr -n "__fish_mqrr_needs_command" -f -a "c8y-token" -d 'Fetch the Cumulocity JWT over a thin-edge.io bridge (c8y/s/uat → 71,<JWT> on c8y/s/dat)'
complete -c mqrr -n "__fish_mqrr_needs_command" -f -a "serve" -d 'Answer requests: subscribe to FILTER and reply on each request\'s response topic with the request payload, a fixed text or a command\'s stdout'
complete -c mqrr -n "__fish_mqrr_needs_command" -f -a "tedge-cmd" -d 'Run a thin-edge.io command (restart, software_list, config_snapshot…) and follow it to its end'
complete -c mqrr -n "__fish_mqrr_needs_command" -f -a "sub" -d 'Subscribe and print the messages, as mosquitto_sub: -C N messages, -W deadline, -F format, and the extraction steps -j/-r/-f as filters'
complete -c mqrr -n "__fish_mqrr_needs_command" -f -a "pub" -d 'Publish a message, a file, stdin, or each line of stdin: mosquitto_pub with exit codes a script can trust'
complete -c mqrr -n "__fish_mqrr_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l prefix -d 'Bridge topic prefix [default: c8y.bridge.topic_prefix from tedge.toml, else c8y]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s W -l timeout -d 'Overall deadline from start, connecting included: 30 (seconds), 500ms, 1m30s; 0 waits forever' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l resend -d 'Publish the request again at this interval while waiting' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s o -l output -d 'What to print' -r -f -a "token\t'The raw JWT'
env\t'export C8Y_TOKEN=…, C8Y_URL=…, C8Y_TENANT=… for eval'
json\t'token, url, tenant, user, issued_at, expires_at, expires_in_s'
header\t'Authorization: Bearer <JWT>'
claims\t'The decoded JWT payload, pretty JSON'"
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l min-valid -d 'Fail (exit 1) if the token expires sooner than this [default with --cache: 60s]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l cache -d 'Reuse the token cached in this file while it stays valid; refresh it otherwise' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s h -l host -d 'Broker host [default: localhost] [env: MQRR_HOST]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s p -l port -d 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l unix -d 'Connect over a unix domain socket' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s u -l username -d 'User name [env: MQRR_USERNAME]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s P -l password -d 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s i -l id -d 'Client id [default: mqrr- and a random suffix]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s I -l id-prefix -d 'Client id prefix, followed by a random suffix' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s k -l keepalive -d 'Keep-alive interval in seconds' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s V -l protocol -d 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l cafile -d 'CA certificates file to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l capath -d 'Directory of CA certificates to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l cert -d 'Client certificate, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l key -d 'Client private key, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l tls-version -d 'Lowest TLS version: tlsv1.2 (OpenSSL\'s default, 1.2 or later). tlsv1.3 and tlsv1.1 are not supported: Paho C cannot pin them (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l ciphers -d 'TLS 1.2 cipher list, in OpenSSL\'s syntax (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l psk -d 'TLS-PSK key, in hex (with --psk-identity; turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l psk-identity -d 'TLS-PSK identity' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s D -l property -d 'MQTT 5 property CMD NAME VALUE (user-property takes NAME VALUE): CMD is connect, publish, subscribe, unsubscribe, disconnect or will; NAME as in the MQTT 5 spec, e.g. content-type, message-expiry-interval, session-expiry-interval (repeatable; implies MQTT 5)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l will-topic -d 'Last Will topic, published by the broker if mqrr\'s connection ends without a clean DISCONNECT' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l will-payload -d 'Last Will payload [default: empty]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l will-qos -d 'Last Will QoS' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s x -l session-expiry -d 'MQTT 5 Session Expiry Interval in seconds; -1 or ∞: never [default: -1 with -c, else 0]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s A -d 'Bind to this local address (not supported: Paho C has no bind address)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l proxy -d 'SOCKS5 proxy URL (not supported: Paho C has HTTP proxies only)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l keyform -d 'Private key form (only pem is supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l tls-engine -d 'OpenSSL engine (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l tls-engine-kpass-sha1 -d 'Engine key password hash (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l options-file -d 'Read options from this file: one option and its value per line, # comments, as mosquitto\'s client config files; the command line wins (-o for requests, pub, sub and serve)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l help -d 'Print help'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l no-tedge-config -d 'Ignore thin-edge.io\'s tedge.toml'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l tls-use-os-certs -d 'Verify the broker against the system\'s CA certificates (the default without --cafile or --capath; turns TLS on)'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l insecure -d 'Do not verify the broker\'s certificate or host name'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l will-retain -d 'Retain the Last Will'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -s c -l disable-clean-session -d 'Keep the session when disconnecting (a persistent session; needs -i)'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l nodelay -d 'Set TCP_NODELAY (always on: Paho C sets it on every connection)'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l debug -d 'Trace connection steps and packets to stderr (never the password)'
complete -c mqrr -n "__fish_mqrr_using_subcommand c8y-token" -l quiet -d 'Print no diagnostics; the exit status tells what happened'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s t -l topic -d 'Topic filter to answer requests on (repeatable)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s q -l qos -d 'QoS of the subscription and the replies' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l group -d 'Share the requests with every `serve` of this group: subscribe with `$share/NAME/FILTER`, and the broker hands each request to one of them' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l reply-topic -d 'Reply here when a request carries no Response Topic (MQTT 3.1.1 requesters)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s C -l count -d 'Exit after N replies' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s j -l jobs -d 'Requests handled at once' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l exec-timeout -d 'Give up on a command after this long (no reply is sent)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l reply -d 'Reply with this fixed text' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s h -l host -d 'Broker host [default: localhost] [env: MQRR_HOST]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s p -l port -d 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l unix -d 'Connect over a unix domain socket' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s u -l username -d 'User name [env: MQRR_USERNAME]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s P -l password -d 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s i -l id -d 'Client id [default: mqrr- and a random suffix]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s I -l id-prefix -d 'Client id prefix, followed by a random suffix' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s k -l keepalive -d 'Keep-alive interval in seconds' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s V -l protocol -d 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l cafile -d 'CA certificates file to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l capath -d 'Directory of CA certificates to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l cert -d 'Client certificate, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l key -d 'Client private key, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l tls-version -d 'Lowest TLS version: tlsv1.2 (OpenSSL\'s default, 1.2 or later). tlsv1.3 and tlsv1.1 are not supported: Paho C cannot pin them (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l ciphers -d 'TLS 1.2 cipher list, in OpenSSL\'s syntax (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l psk -d 'TLS-PSK key, in hex (with --psk-identity; turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l psk-identity -d 'TLS-PSK identity' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s D -l property -d 'MQTT 5 property CMD NAME VALUE (user-property takes NAME VALUE): CMD is connect, publish, subscribe, unsubscribe, disconnect or will; NAME as in the MQTT 5 spec, e.g. content-type, message-expiry-interval, session-expiry-interval (repeatable; implies MQTT 5)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l will-topic -d 'Last Will topic, published by the broker if mqrr\'s connection ends without a clean DISCONNECT' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l will-payload -d 'Last Will payload [default: empty]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l will-qos -d 'Last Will QoS' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s x -l session-expiry -d 'MQTT 5 Session Expiry Interval in seconds; -1 or ∞: never [default: -1 with -c, else 0]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s A -d 'Bind to this local address (not supported: Paho C has no bind address)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l proxy -d 'SOCKS5 proxy URL (not supported: Paho C has HTTP proxies only)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l keyform -d 'Private key form (only pem is supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l tls-engine -d 'OpenSSL engine (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l tls-engine-kpass-sha1 -d 'Engine key password hash (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l options-file -d 'Read options from this file: one option and its value per line, # comments, as mosquitto\'s client config files; the command line wins (-o for requests, pub, sub and serve)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l help -d 'Print help'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l echo -d 'Reply with the request payload'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l tls-use-os-certs -d 'Verify the broker against the system\'s CA certificates (the default without --cafile or --capath; turns TLS on)'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l insecure -d 'Do not verify the broker\'s certificate or host name'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l will-retain -d 'Retain the Last Will'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -s c -l disable-clean-session -d 'Keep the session when disconnecting (a persistent session; needs -i)'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l nodelay -d 'Set TCP_NODELAY (always on: Paho C sets it on every connection)'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l debug -d 'Trace connection steps and packets to stderr (never the password)'
complete -c mqrr -n "__fish_mqrr_using_subcommand serve" -l quiet -d 'Print no diagnostics; the exit status tells what happened'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l device -d 'Run the command on the child device NAME (entity device/NAME//)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l service -d 'Run the command on the service NAME of the device (entity device/main/service/NAME, or of --device)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l entity -d 'Run the command on this entity topic id, e.g. device/child01// [default: mqtt.device_topic_id from tedge.toml, else device/main//]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l cmd-id -d 'The command id, the last level of the command topic [default: mqrr- and a random suffix]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s m -l message -d 'The command as a JSON object; "status":"init" is added when missing [default: {"status":"init"}]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l file -d 'Read the command\'s JSON object from a file' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s W -l timeout -d 'Overall deadline from start, connecting included: 600 (seconds), 90s, 1h; 0 waits forever' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s o -l output -d 'What --list prints [default: types]' -r -f -a "types\t'One command type per line'
json\t'One JSON object: each command type with its capability message'"
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s f -l fields -d 'Print only these fields, as cut -f: N, N-, N-M, -M, comma lists' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s d -l delimiter -d 'Field delimiter for -f' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s F -l format -d 'Print the successful command through this format string, as mosquitto_sub -F (%p is the extracted text)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s h -l host -d 'Broker host [default: localhost] [env: MQRR_HOST]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s p -l port -d 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l unix -d 'Connect over a unix domain socket' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s u -l username -d 'User name [env: MQRR_USERNAME]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s P -l password -d 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s i -l id -d 'Client id [default: mqrr- and a random suffix]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s I -l id-prefix -d 'Client id prefix, followed by a random suffix' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s k -l keepalive -d 'Keep-alive interval in seconds' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s V -l protocol -d 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l cafile -d 'CA certificates file to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l capath -d 'Directory of CA certificates to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l cert -d 'Client certificate, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l key -d 'Client private key, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l tls-version -d 'Lowest TLS version: tlsv1.2 (OpenSSL\'s default, 1.2 or later). tlsv1.3 and tlsv1.1 are not supported: Paho C cannot pin them (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l ciphers -d 'TLS 1.2 cipher list, in OpenSSL\'s syntax (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l psk -d 'TLS-PSK key, in hex (with --psk-identity; turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l psk-identity -d 'TLS-PSK identity' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s D -l property -d 'MQTT 5 property CMD NAME VALUE (user-property takes NAME VALUE): CMD is connect, publish, subscribe, unsubscribe, disconnect or will; NAME as in the MQTT 5 spec, e.g. content-type, message-expiry-interval, session-expiry-interval (repeatable; implies MQTT 5)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l will-topic -d 'Last Will topic, published by the broker if mqrr\'s connection ends without a clean DISCONNECT' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l will-payload -d 'Last Will payload [default: empty]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l will-qos -d 'Last Will QoS' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s x -l session-expiry -d 'MQTT 5 Session Expiry Interval in seconds; -1 or ∞: never [default: -1 with -c, else 0]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s A -d 'Bind to this local address (not supported: Paho C has no bind address)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l proxy -d 'SOCKS5 proxy URL (not supported: Paho C has HTTP proxies only)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l keyform -d 'Private key form (only pem is supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l tls-engine -d 'OpenSSL engine (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l tls-engine-kpass-sha1 -d 'Engine key password hash (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l options-file -d 'Read options from this file: one option and its value per line, # comments, as mosquitto\'s client config files; the command line wins (-o for requests, pub, sub and serve)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s j -l json -d 'Print only this RFC 6901 JSON pointer of the successful command, e.g. /currentSoftwareList' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s r -l regex -d 'Print capture group 1 (or the whole match) of this regex on the successful command' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l help -d 'Print help'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s s -l stdin -d 'Read the command\'s JSON object from stdin'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l keep -d 'Leave the command\'s last state retained instead of clearing it at the end'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l list -d 'List the command types the entity supports (its retained capability messages) and exit'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l no-tedge-config -d 'Ignore thin-edge.io\'s tedge.toml'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l tls-use-os-certs -d 'Verify the broker against the system\'s CA certificates (the default without --cafile or --capath; turns TLS on)'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l insecure -d 'Do not verify the broker\'s certificate or host name'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l will-retain -d 'Retain the Last Will'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -s c -l disable-clean-session -d 'Keep the session when disconnecting (a persistent session; needs -i)'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l nodelay -d 'Set TCP_NODELAY (always on: Paho C sets it on every connection)'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l debug -d 'Trace connection steps and packets to stderr (never the password)'
complete -c mqrr -n "__fish_mqrr_using_subcommand tedge-cmd" -l quiet -d 'Print no diagnostics; the exit status tells what happened'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s t -l topic -d 'Topic filter to subscribe to; wildcards and $share/GROUP/… allowed (repeatable)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s T -l filter-out -d 'Do not print messages whose topic matches this filter (repeatable)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s U -l unsubscribe -d 'Unsubscribe from this filter, e.g. a subscription a persistent session (-c) still holds (repeatable)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s q -l qos -d 'QoS of the subscriptions' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s C -l count -d 'Exit 0 after N printed messages' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s W -l timeout -d 'Deadline for the whole run, connecting included: 5 (seconds), 500ms, 1m30s; 0 for none [default: none]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l random-filter -d 'Print each message with this chance, in percent (mosquitto_sub\'s --random-filter; skipped messages still count for -C)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l settle -d 'With --retained-only: how long to wait after the SUBACK, and after each retained message, for more' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s F -l format -d 'Print each message through this format, as mosquitto_sub -F (request mode: each response)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s f -l fields -d 'Print only these fields, as cut -f: N, N-, N-M, -M, comma lists' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s d -l delimiter -d 'Field delimiter for -f' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s h -l host -d 'Broker host [default: localhost] [env: MQRR_HOST]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s p -l port -d 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l unix -d 'Connect over a unix domain socket' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s u -l username -d 'User name [env: MQRR_USERNAME]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s P -l password -d 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s i -l id -d 'Client id [default: mqrr- and a random suffix]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s I -l id-prefix -d 'Client id prefix, followed by a random suffix' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s k -l keepalive -d 'Keep-alive interval in seconds' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s V -l protocol -d 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l cafile -d 'CA certificates file to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l capath -d 'Directory of CA certificates to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l cert -d 'Client certificate, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l key -d 'Client private key, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l tls-version -d 'Lowest TLS version: tlsv1.2 (OpenSSL\'s default, 1.2 or later). tlsv1.3 and tlsv1.1 are not supported: Paho C cannot pin them (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l ciphers -d 'TLS 1.2 cipher list, in OpenSSL\'s syntax (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l psk -d 'TLS-PSK key, in hex (with --psk-identity; turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l psk-identity -d 'TLS-PSK identity' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s D -l property -d 'MQTT 5 property CMD NAME VALUE (user-property takes NAME VALUE): CMD is connect, publish, subscribe, unsubscribe, disconnect or will; NAME as in the MQTT 5 spec, e.g. content-type, message-expiry-interval, session-expiry-interval (repeatable; implies MQTT 5)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l will-topic -d 'Last Will topic, published by the broker if mqrr\'s connection ends without a clean DISCONNECT' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l will-payload -d 'Last Will payload [default: empty]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l will-qos -d 'Last Will QoS' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s x -l session-expiry -d 'MQTT 5 Session Expiry Interval in seconds; -1 or ∞: never [default: -1 with -c, else 0]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s A -d 'Bind to this local address (not supported: Paho C has no bind address)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l proxy -d 'SOCKS5 proxy URL (not supported: Paho C has HTTP proxies only)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l keyform -d 'Private key form (only pem is supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l tls-engine -d 'OpenSSL engine (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l tls-engine-kpass-sha1 -d 'Engine key password hash (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l options-file -d 'Read options from this file: one option and its value per line, # comments, as mosquitto\'s client config files; the command line wins (-o for requests, pub, sub and serve)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s j -l json -d 'Print only messages that are JSON with this RFC 6901 pointer, and only its value (strings unquoted)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s r -l regex -d 'Print only messages matching this regex, and only capture group 1 (or the whole match)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l help -d 'Print help'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l timeout-fails -d 'Exit 27 when -W passes, -C or not (mosquitto_sub\'s rule; set by the mosquitto_sub personality)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s E -d 'Exit 0 once the broker has acknowledged every subscription (with -c -i ID: create a persistent session)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s R -d 'Do not print retained messages (MQTT 5 also asks the broker not to send them)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l retained-only -d 'Print only the retained messages; exit 0 at the first live one, or when none arrives within --settle'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l remove-retained -d 'Clear each retained message printed (publish an empty retained message to its topic)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l retain-as-published -d 'Subscribe with MQTT 5\'s Retain As Published: keep the retain flag of live messages'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s v -l verbose -d 'Print the topic before the payload: TOPIC PAYLOAD'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s N -d 'Print no newline after each message'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l pretty -d 'Lay out %j and %J over several lines'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l tls-use-os-certs -d 'Verify the broker against the system\'s CA certificates (the default without --cafile or --capath; turns TLS on)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l insecure -d 'Do not verify the broker\'s certificate or host name'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l will-retain -d 'Retain the Last Will'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -s c -l disable-clean-session -d 'Keep the session when disconnecting (a persistent session; needs -i)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l nodelay -d 'Set TCP_NODELAY (always on: Paho C sets it on every connection)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l debug -d 'Trace connection steps and packets to stderr (never the password)'
complete -c mqrr -n "__fish_mqrr_using_subcommand sub" -l quiet -d 'Print no diagnostics; the exit status tells what happened'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s t -l topic -d 'Topic to publish on (no wildcards)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s m -l message -d 'Publish this text' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s f -l file -d 'Publish the contents of this file, byte for byte' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s q -l qos -d 'QoS of the messages' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l repeat -d 'Publish the message N times (not with -l)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l repeat-delay -d 'With --repeat: wait this long after each message was written (QoS 0) or acknowledged (QoS 1/2) before the next: 0.5 (seconds), 500ms' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s M -l max-inflight -d 'QoS 1/2 messages in flight at most [default: the broker\'s Receive Maximum]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s W -l timeout -d 'One deadline for the whole run, connecting and reading stdin included: 5 (seconds), 500ms, 1m30s [default: none]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s h -l host -d 'Broker host [default: localhost] [env: MQRR_HOST]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s p -l port -d 'Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s L -l url -d 'Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l unix -d 'Connect over a unix domain socket' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s u -l username -d 'User name [env: MQRR_USERNAME]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s P -l password -d 'Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s i -l id -d 'Client id [default: mqrr- and a random suffix]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s I -l id-prefix -d 'Client id prefix, followed by a random suffix' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s k -l keepalive -d 'Keep-alive interval in seconds' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s V -l protocol -d 'MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l cafile -d 'CA certificates file to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l capath -d 'Directory of CA certificates to verify the broker with (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l cert -d 'Client certificate, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l key -d 'Client private key, PEM (turns TLS on)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l tls-version -d 'Lowest TLS version: tlsv1.2 (OpenSSL\'s default, 1.2 or later). tlsv1.3 and tlsv1.1 are not supported: Paho C cannot pin them (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l ciphers -d 'TLS 1.2 cipher list, in OpenSSL\'s syntax (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l psk -d 'TLS-PSK key, in hex (with --psk-identity; turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l psk-identity -d 'TLS-PSK identity' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l tls-alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s D -l property -d 'MQTT 5 property CMD NAME VALUE (user-property takes NAME VALUE): CMD is connect, publish, subscribe, unsubscribe, disconnect or will; NAME as in the MQTT 5 spec, e.g. content-type, message-expiry-interval, session-expiry-interval (repeatable; implies MQTT 5)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l will-topic -d 'Last Will topic, published by the broker if mqrr\'s connection ends without a clean DISCONNECT' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l will-payload -d 'Last Will payload [default: empty]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l will-qos -d 'Last Will QoS' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s x -l session-expiry -d 'MQTT 5 Session Expiry Interval in seconds; -1 or ∞: never [default: -1 with -c, else 0]' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s A -d 'Bind to this local address (not supported: Paho C has no bind address)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l proxy -d 'SOCKS5 proxy URL (not supported: Paho C has HTTP proxies only)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l keyform -d 'Private key form (only pem is supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l tls-engine -d 'OpenSSL engine (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l tls-engine-kpass-sha1 -d 'Engine key password hash (not supported: Paho C has no OpenSSL engines)' -r
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l options-file -d 'Read options from this file: one option and its value per line, # comments, as mosquitto\'s client config files; the command line wins (-o for requests, pub, sub and serve)' -r -F
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l help -d 'Print help'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s s -l stdin-file -d 'Publish all of stdin as one message, byte for byte'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s l -l stdin-line -d 'Publish each line of stdin as it is read, without its newline, over one connection; an empty line is an empty message'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s n -l null-message -d 'Publish an empty message'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s r -l retain -d 'Publish retained'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l tls-use-os-certs -d 'Verify the broker against the system\'s CA certificates (the default without --cafile or --capath; turns TLS on)'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l insecure -d 'Do not verify the broker\'s certificate or host name'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l will-retain -d 'Retain the Last Will'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -s c -l disable-clean-session -d 'Keep the session when disconnecting (a persistent session; needs -i)'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l nodelay -d 'Set TCP_NODELAY (always on: Paho C sets it on every connection)'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l debug -d 'Trace connection steps and packets to stderr (never the password)'
complete -c mqrr -n "__fish_mqrr_using_subcommand pub" -l quiet -d 'Print no diagnostics; the exit status tells what happened'
complete -c mqrr -n "__fish_mqrr_using_subcommand help; and not __fish_seen_subcommand_from c8y-token serve tedge-cmd sub pub help" -f -a "c8y-token" -d 'Fetch the Cumulocity JWT over a thin-edge.io bridge (c8y/s/uat → 71,<JWT> on c8y/s/dat)'
complete -c mqrr -n "__fish_mqrr_using_subcommand help; and not __fish_seen_subcommand_from c8y-token serve tedge-cmd sub pub help" -f -a "serve" -d 'Answer requests: subscribe to FILTER and reply on each request\'s response topic with the request payload, a fixed text or a command\'s stdout'
complete -c mqrr -n "__fish_mqrr_using_subcommand help; and not __fish_seen_subcommand_from c8y-token serve tedge-cmd sub pub help" -f -a "tedge-cmd" -d 'Run a thin-edge.io command (restart, software_list, config_snapshot…) and follow it to its end'
complete -c mqrr -n "__fish_mqrr_using_subcommand help; and not __fish_seen_subcommand_from c8y-token serve tedge-cmd sub pub help" -f -a "sub" -d 'Subscribe and print the messages, as mosquitto_sub: -C N messages, -W deadline, -F format, and the extraction steps -j/-r/-f as filters'
complete -c mqrr -n "__fish_mqrr_using_subcommand help; and not __fish_seen_subcommand_from c8y-token serve tedge-cmd sub pub help" -f -a "pub" -d 'Publish a message, a file, stdin, or each line of stdin: mosquitto_pub with exit codes a script can trust'
complete -c mqrr -n "__fish_mqrr_using_subcommand help; and not __fish_seen_subcommand_from c8y-token serve tedge-cmd sub pub help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
