export {
  CONSUMER_DEFAULTS, NotificationConsumer,
  type BatchHandler, type BusMessage, type ConsumerStats, type NotificationConsumerConfig, type NotificationConsumerOptions, type Outcome,
} from './consumer.js';
export {
  DEFAULT_DEAD_LETTER_QUEUE, DEFAULT_EXCHANGES, DEFAULT_TOPICS, OSLO_PRIORITIES,
  amqpReplyCode, ensureTopology, notificationQueues, prepareTopology, type TopologyPlan, type TopologyReport,
} from './topology.js';
export { NotificationPublisher, osloEnvelope, osloNotification, type OsloNotificationFields, type PublishItem, type PublisherOptions } from './publish.js';
export { redactedUrl } from './redacted-url.js';
