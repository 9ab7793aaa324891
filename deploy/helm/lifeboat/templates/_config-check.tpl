{{/*
A misspelt key or an unknown choice in `config:` fails `helm template` / `helm install` with the message lifeboat's
loader gives (src/config/reader.ts), "did you mean" included, before anything reaches the cluster. What the loader
accepts is in files/config-shape.json, generated from the loader itself (src/deploy/config-shape.ts). Every other
check of the config (durations, names, templates) runs in `lifeboat manifests` and when `lifeboat run` starts.
*/}}

{{/* Edit distance with adjacent swaps (optimal string alignment), as src/config/suggest.ts. Argument: list a b. */}}
{{- define "lifeboat.editDistance" -}}
{{- $a := splitList "" (index . 0) -}}
{{- $b := splitList "" (index . 1) -}}
{{- $rows := list (until (add1 (len $b) | int)) -}}
{{- range $i := untilStep 1 (add1 (len $a) | int) 1 -}}
{{- $row := list $i -}}
{{- range $j := untilStep 1 (add1 (len $b) | int) 1 -}}
{{- $above := index $rows (sub $i 1) -}}
{{- $cost := ternary 0 1 (eq (index $a (sub $i 1)) (index $b (sub $j 1))) -}}
{{- $best := min (add1 (index $above $j)) (add1 (index $row (sub $j 1))) (add (index $above (sub $j 1)) $cost) -}}
{{- if and (gt $i 1) (gt $j 1) -}}
{{- if and (eq (index $a (sub $i 1)) (index $b (sub $j 2))) (eq (index $a (sub $i 2)) (index $b (sub $j 1))) -}}
{{- $best = min $best (add1 (index (index $rows (sub $i 2)) (sub $j 2))) -}}
{{- end -}}
{{- end -}}
{{- $row = append $row $best -}}
{{- end -}}
{{- $rows = append $rows $row -}}
{{- end -}}
{{- index (last $rows) (len $b) -}}
{{- end -}}

{{/* The candidate closest to the input within its typo budget, case-insensitive, or "". Argument: list input candidates. */}}
{{- define "lifeboat.closest" -}}
{{- $input := lower (index . 0) -}}
{{- $best := "" -}}
{{- $bestDistance := 1000 -}}
{{- range $candidate := index . 1 -}}
{{- $distance := include "lifeboat.editDistance" (list $input (lower $candidate)) | atoi -}}
{{- if and (le $distance (ternary 2 1 (ge (len $candidate) 10))) (lt $distance $bestDistance) -}}
{{- $best = $candidate -}}
{{- $bestDistance = $distance -}}
{{- end -}}
{{- end -}}
{{- $best -}}
{{- end -}}

{{/* `parent.key`, or `parent["key"]` when the key is not a plain word (src/config/issues.ts). Argument: list parent key. */}}
{{- define "lifeboat.childPath" -}}
{{- $parent := index . 0 -}}
{{- $key := index . 1 -}}
{{- if regexMatch "^[A-Za-z_][0-9A-Za-z_-]*$" $key -}}
{{- if $parent -}}{{ $parent }}.{{ $key }}{{- else -}}{{ $key }}{{- end -}}
{{- else -}}
{{- $parent }}[{{ toJson $key }}]
{{- end -}}
{{- end -}}

{{/* A value as the loader's messages show it (src/config/reader.ts describe). */}}
{{- define "lifeboat.describe" -}}
{{- if kindIs "string" . -}}
{{- toJson (ternary (printf "%s..." (trunc 57 .)) . (gt (len .) 60)) -}}
{{- else if kindIs "slice" . -}}
a list
{{- else if kindIs "map" . -}}
a mapping
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* One line per problem under a mapping. Arguments (a dict): value, path, node (of files/config-shape.json). */}}
{{- define "lifeboat.configIssues" -}}
{{- $node := .node -}}
{{- $sections := $node.sections | default dict -}}
{{- $entries := $node.entries | default dict -}}
{{- $choices := $node.choices | default dict -}}
{{- $path := .path -}}
{{- if kindIs "map" .value -}}
{{- range $key, $child := .value -}}
{{- $childPath := include "lifeboat.childPath" (list $path $key) -}}
{{- if not (has $key $node.keys) -}}
{{- $guess := include "lifeboat.closest" (list $key $node.keys) -}}
{{- $fix := ternary (printf "did you mean `%s`?" $guess) (printf "remove it; known settings here: %s" (join ", " $node.keys)) (ne $guess "") -}}
{{- printf "%s: is not a known setting. Fix: %s\n" $childPath $fix -}}
{{- else if hasKey $sections $key -}}
{{- include "lifeboat.configIssues" (dict "value" $child "path" $childPath "node" (get $sections $key)) -}}
{{- else if and (hasKey $entries $key) (kindIs "map" $child) -}}
{{- $entryNode := index $entries $key -}}
{{- if $entryNode -}}
{{- range $name, $entry := $child -}}
{{- include "lifeboat.configIssues" (dict "value" $entry "path" (include "lifeboat.childPath" (list $childPath $name)) "node" $entryNode) -}}
{{- end -}}
{{- end -}}
{{- else if and (hasKey $choices $key) (not (kindIs "invalid" $child)) -}}
{{- $allowed := get $choices $key -}}
{{- if not (and (kindIs "string" $child) (has $child $allowed)) -}}
{{- $guess := ternary (include "lifeboat.closest" (list (toString $child) $allowed)) "" (kindIs "string" $child) -}}
{{- $fix := ternary (printf "did you mean `%s`?" $guess) (printf "use one of %s" (join ", " $allowed)) (ne $guess "") -}}
{{- printf "%s: is %s, not one of %s. Fix: %s\n" $childPath (include "lifeboat.describe" $child) (join ", " $allowed) $fix -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Fails with the loader's message when the values' config has a misspelt key or an unknown choice. */}}
{{- define "lifeboat.checkConfigKeys" -}}
{{- $shape := .Files.Get "files/config-shape.json" | fromJson -}}
{{- $issues := include "lifeboat.configIssues" (dict "value" (.Values.config | default dict) "path" "" "node" $shape) | trim -}}
{{- if $issues -}}
{{- $lines := splitList "\n" $issues -}}
{{- $count := ternary "1 problem" (printf "%d problems" (len $lines)) (eq (len $lines) 1) -}}
{{- fail (printf "invalid lifeboat config values.config: %s\n  - %s" $count (join "\n  - " $lines)) -}}
{{- end -}}
{{- end -}}
