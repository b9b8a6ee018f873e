/** Overview row: the render piece cache (hit ratio by piece kind, lookups, bytes held and evicted). */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { timeseries } from '../lib/panels';
import { prom, sel } from '../lib/queries';

/** Piece cache panels. */
export function pieceCachePanels(): cog.Builder<Panel>[] {
  return [
    timeseries(
      'Piece cache hit ratio by kind',
      'percentunit',
      [
        prom(
          // `or 0 * …`: a kind looked up but never hit is 0%, not "No data" (no hit series exists for it).
          `(sum by (kind) (rate(${sel(M.pieceCacheRequests, 'result="hit"')}[$__rate_interval])) or 0 * sum by (kind) (rate(${sel(M.pieceCacheRequests)}[$__rate_interval]))) / sum by (kind) (rate(${sel(M.pieceCacheRequests)}[$__rate_interval]))`,
          { legend: '{{kind}}' },
        ),
      ],
      { w: 8, h: 8 },
    )
      .description(
        'Share of piece lookups the cache answered, per kind (static GOP, still, fade, WAV, narration, audio track). A re-render of an unchanged deck is all hits.',
      )
      .max(1),
    timeseries(
      'Piece cache lookups',
      'reqps',
      [prom(`sum by (result) (rate(${sel(M.pieceCacheRequests)}[$__rate_interval]))`, { legend: '{{result}}' })],
      { w: 8, h: 8 },
    ).description('Hits, misses and corrupt pieces (failed their checksum: discarded and rebuilt, never shipped).'),
    timeseries(
      'Piece cache bytes',
      'bytes',
      [
        prom(`max(${sel(M.pieceCacheBytes)})`, { legend: 'held' }),
        prom(`sum(rate(${sel(M.pieceCacheEvicted)}[$__rate_interval]))`, { legend: 'evicted per second' }),
      ],
      { w: 8, h: 8 },
    ).description('What the cache holds (RENDER_PIECE_CACHE_BYTES is its bound) and how fast the least recently used pieces are evicted.'),
  ];
}
