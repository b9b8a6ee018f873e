/** The admin page's labels in English and Brazilian Portuguese, and the Accept-Language choice between them. */

import type { JobStatus } from '../../shared/job';

/** Languages the page speaks. */
export type Locale = 'en' | 'pt-BR';

const en = {
  title: 'Render service — metrics',
  fallbackNote: 'Fallback page: Grafana is the primary dashboard.',
  openGrafana: 'Open the Grafana dashboard',
  range: 'Range',
  refresh: 'Refresh',
  autoRefresh: 'Auto-refresh',
  off: 'off',
  every: 'every',
  generatedAt: 'Generated at',
  backend: 'Queue backend',
  logout: 'Log out',
  serviceStatus: 'Service status',
  status: 'Status',
  'status.ok': 'Operational',
  'status.degraded': 'Degraded',
  'status.down': 'Queue unreachable',
  queueReachable: 'Queue backend reachable',
  queueError: 'Queue error',
  sloBurning: 'The job success SLO is burning its error budget (service failures over',
  yes: 'yes',
  no: 'no',
  workers: 'Workers seen',
  lastWorkerSeen: 'Last worker heartbeat',
  ago: 'ago',
  never: 'never',
  uptime: 'Process uptime',
  memoryRss: 'Memory (RSS)',
  memoryHeap: 'Heap used',
  jobs: 'Jobs in range',
  total: 'Total',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  queued: 'Queued',
  processing: 'Processing',
  retrying: 'Retrying',
  successRate: 'Success rate',
  avgDuration: 'Average duration',
  p95Duration: 'p95 duration',
  avgQueueWait: 'Average queue wait',
  queue: 'Queue now',
  waiting: 'Pending',
  active: 'Processing',
  delayed: 'Delayed',
  oldestWaiting: 'Oldest pending job age',
  errors: 'Errors by category',
  noErrors: 'No failed jobs in this range.',
  category: 'Category',
  count: 'Count',
  samples: 'Recent messages',
  recentJobs: 'Recent jobs',
  noJobs: 'No jobs yet.',
  jobTitle: 'Title',
  stage: 'Stage',
  progress: 'Progress',
  attempts: 'Attempts',
  duration: 'Duration',
  errorCategory: 'Error',
  trace: 'Trace',
  openTrace: 'trace',
  notAvailable: 'n/a',
  loginTitle: 'Admin login',
  loginPrompt: 'This page is protected. Enter the admin token.',
  token: 'Admin token',
  login: 'Log in',
  loginFailed: 'That token is not valid.',
  unavailable: 'The figures are unavailable right now',
  badRequest: 'Invalid request',
} as const;

/** A label's key. */
export type LabelKey = keyof typeof en;
/** Every label of one language. */
export type Labels = Record<LabelKey, string>;

const ptBR: Labels = {
  title: 'Serviço de render — métricas',
  fallbackNote: 'Página reserva: o painel principal é o Grafana.',
  openGrafana: 'Abrir o painel no Grafana',
  range: 'Período',
  refresh: 'Atualizar',
  autoRefresh: 'Atualização automática',
  off: 'desligada',
  every: 'a cada',
  generatedAt: 'Gerado em',
  backend: 'Fila',
  logout: 'Sair',
  serviceStatus: 'Estado do serviço',
  status: 'Estado',
  'status.ok': 'Operacional',
  'status.degraded': 'Degradado',
  'status.down': 'Fila inacessível',
  queueReachable: 'Fila acessível',
  queueError: 'Erro da fila',
  sloBurning: 'O SLO de sucesso dos jobs está consumindo o orçamento de erros (falhas do serviço acima de',
  yes: 'sim',
  no: 'não',
  workers: 'Workers ativos',
  lastWorkerSeen: 'Último sinal de worker',
  ago: 'atrás',
  never: 'nunca',
  uptime: 'Tempo no ar do processo',
  memoryRss: 'Memória (RSS)',
  memoryHeap: 'Heap em uso',
  jobs: 'Jobs no período',
  total: 'Total',
  completed: 'Concluídos',
  failed: 'Com falha',
  cancelled: 'Cancelados',
  queued: 'Na fila',
  processing: 'Processando',
  retrying: 'Aguardando nova tentativa',
  successRate: 'Taxa de sucesso',
  avgDuration: 'Duração média',
  p95Duration: 'Duração p95',
  avgQueueWait: 'Espera média na fila',
  queue: 'Fila agora',
  waiting: 'Pendentes',
  active: 'Processando',
  delayed: 'Adiados',
  oldestWaiting: 'Idade do job pendente mais antigo',
  errors: 'Erros por categoria',
  noErrors: 'Nenhum job falhou neste período.',
  category: 'Categoria',
  count: 'Quantidade',
  samples: 'Mensagens recentes',
  recentJobs: 'Jobs recentes',
  noJobs: 'Nenhum job ainda.',
  jobTitle: 'Título',
  stage: 'Etapa',
  progress: 'Progresso',
  attempts: 'Tentativas',
  duration: 'Duração',
  errorCategory: 'Erro',
  trace: 'Trace',
  openTrace: 'trace',
  notAvailable: 'n/d',
  loginTitle: 'Acesso administrativo',
  loginPrompt: 'Esta página é protegida. Informe o token de administração.',
  token: 'Token de administração',
  login: 'Entrar',
  loginFailed: 'Token inválido.',
  unavailable: 'Os números estão indisponíveis no momento',
  badRequest: 'Requisição inválida',
};

const DICTIONARY: Record<Locale, Labels> = { en, 'pt-BR': ptBR };

/** One job's status as a word (the column headings are plurals); the raw status stays in `data-status`. */
const STATUS_WORDS: Record<Locale, Record<JobStatus, string>> = {
  en: {
    queued: 'queued',
    processing: 'processing',
    retrying: 'retrying',
    completed: 'completed',
    failed: 'failed',
    cancelled: 'cancelled',
  },
  'pt-BR': {
    queued: 'na fila',
    processing: 'processando',
    retrying: 'nova tentativa',
    completed: 'concluído',
    failed: 'falhou',
    cancelled: 'cancelado',
  },
};

/** The word for one job's status in `locale`. */
export function statusWord(locale: Locale, status: JobStatus): string {
  return STATUS_WORDS[locale][status];
}

/** The labels of `locale`. */
export function labelsFor(locale: Locale): Labels {
  return DICTIONARY[locale];
}

/**
 * Picks the language from an Accept-Language header: the highest-q tag whose primary subtag we speak
 * (any `pt-*` gets pt-BR); English when nothing matches or the header is absent or malformed.
 */
export function pickLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .split(',')
    .slice(0, 32)
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const qParam = params.find((p) => /^\s*q\s*=/i.test(p));
      // A malformed q makes the entry unusable (NaN is filtered out) rather than silently preferred.
      const q = qParam === undefined ? 1 : /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/i.test(qParam) ? Number(qParam.split('=')[1]) : NaN;
      return { tag: tag.trim().toLowerCase(), q, index };
    })
    .filter((l) => l.tag && Number.isFinite(l.q) && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.split('-')[0];
    if (primary === 'pt') return 'pt-BR';
    if (primary === 'en') return 'en';
  }
  return 'en';
}
