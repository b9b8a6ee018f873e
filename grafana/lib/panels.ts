/** Panel factories with the house defaults (unit always set, Prometheus via `$datasource`). */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { ThresholdsConfigBuilder, ThresholdsMode, type Threshold } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapPanel } from '@grafana/grafana-foundation-sdk/heatmap';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS } from './datasources';

type Query = cog.Builder<cog.Dataquery>;

/** Where a panel sits: width and height in grid units (24 columns). */
export interface Size {
  w: number;
  h: number;
}

/** Thresholds from `[value, color]` pairs; the first value is the base (null). */
export function thresholds(steps: [number | null, string][]): ThresholdsConfigBuilder {
  const list: Threshold[] = steps.map(([value, color]) => ({ value, color }));
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(list);
}

/** A time series panel, its legend always shown (a line nobody can name helps nobody at 3 a.m.). */
export function timeseries(title: string, unit: string, queries: Query[], size: Size = { w: 12, h: 8 }): TimeseriesPanel {
  return new TimeseriesPanel()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .targets(queries)
    .span(size.w)
    .height(size.h)
    .fillOpacity(10)
    .lineWidth(1)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]));
}

/**
 * Draws dashed lines at an alert's thresholds on a time series (`[value, color]` pairs as for
 * `thresholds`; the first, null, is the base colour and draws no line).
 */
export function thresholdLines(panel: TimeseriesPanel, steps: [number | null, string][]): TimeseriesPanel {
  return panel.thresholds(thresholds(steps)).thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
}

/** A single-value panel showing each series' last value. */
export function stat(title: string, unit: string, queries: Query[], size: Size = { w: 4, h: 4 }): StatPanel {
  return new StatPanel()
    .title(title)
    .datasource(PROMETHEUS)
    .unit(unit)
    .targets(queries)
    .span(size.w)
    .height(size.h)
    .noValue('0')
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** A table panel (instant queries, table format). */
export function table(title: string, unit: string, queries: Query[], size: Size = { w: 12, h: 8 }): TablePanel {
  return new TablePanel().title(title).datasource(PROMETHEUS).unit(unit).targets(queries).span(size.w).height(size.h);
}

/** A heatmap of pre-bucketed Prometheus histogram data. */
export function heatmap(title: string, unit: string, queries: Query[], size: Size = { w: 12, h: 8 }): HeatmapPanel {
  return new HeatmapPanel().title(title).datasource(PROMETHEUS).unit(unit).targets(queries).span(size.w).height(size.h).calculate(false);
}
