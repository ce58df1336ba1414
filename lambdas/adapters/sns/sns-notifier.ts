// The Notifier port on Amazon SNS: one release-events topic, per-protocol messages, filter policies per contact.
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import {
  GetSubscriptionAttributesCommand,
  NotFoundException,
  PublishCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import type { Contact, FilterPolicy, Notification, Subscription } from '../../core/notify/notification.ts';
import { messageAttributes } from '../../core/notify/notification.ts';
import type { Notifier } from '../../core/ports.ts';

export interface SnsNotifierOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
}

/** SNS message attributes: strings, numbers, and String.Array as JSON (what filter policies match on). */
function snsAttributes(notification: Notification): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(messageAttributes(notification))) {
    if (Array.isArray(value)) attributes[name] = { DataType: 'String.Array', StringValue: JSON.stringify(value) };
    else if (typeof value === 'number') attributes[name] = { DataType: 'Number', StringValue: String(value) };
    else attributes[name] = { DataType: 'String', StringValue: String(value) };
  }
  return attributes;
}

export class SnsNotifier implements Notifier {
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(options: SnsNotifierOptions) {
    this.#client = options.client;
    this.#topicArn = options.topicArn;
  }

  async publish(notification: Notification): Promise<{ messageId: string }> {
    const { MessageId } = await this.#client.send(
      new PublishCommand({
        TopicArn: this.#topicArn,
        Subject: notification.subject,
        // One message per protocol: a full email, an SMS under 160 characters.
        MessageStructure: 'json',
        Message: JSON.stringify(notification.text),
        MessageAttributes: snsAttributes(notification),
      }),
    );
    return { messageId: MessageId ?? '' };
  }

  async subscribe(contact: Contact, filterPolicy: FilterPolicy): Promise<Subscription[]> {
    const endpoints: { protocol: 'email' | 'sms'; endpoint: string }[] = [
      ...(contact.email ? [{ protocol: 'email' as const, endpoint: contact.email }] : []),
      ...(contact.phone ? [{ protocol: 'sms' as const, endpoint: contact.phone }] : []),
    ];
    const created: Subscription[] = [];
    try {
      for (const { protocol, endpoint } of endpoints) {
        const { SubscriptionArn } = await this.#client.send(
          new SubscribeCommand({
            TopicArn: this.#topicArn,
            Protocol: protocol,
            Endpoint: endpoint,
            ReturnSubscriptionArn: true,
            Attributes: { FilterPolicy: JSON.stringify(filterPolicy), FilterPolicyScope: 'MessageAttributes' },
          }),
        );
        // An email subscription is active once its owner follows the link SNS mails them; SMS is active at once.
        created.push({
          protocol,
          endpoint,
          arn: SubscriptionArn,
          state: protocol === 'email' ? 'pending-confirmation' : 'confirmed',
        });
      }
      return created;
    } catch (error) {
      // Half a contact is no contact: take back what was created before the failure.
      await this.unsubscribe({ ...contact, subscriptions: created }).catch(() => undefined);
      throw error;
    }
  }

  async refresh(contact: Contact): Promise<Subscription[]> {
    return Promise.all(
      contact.subscriptions.map(async (subscription) => {
        if (subscription.state === 'confirmed' || !subscription.arn?.startsWith('arn:')) return subscription;
        try {
          const { Attributes } = await this.#client.send(
            new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.arn }),
          );
          return Attributes?.PendingConfirmation === 'false'
            ? { ...subscription, state: 'confirmed' as const }
            : subscription;
        } catch (error) {
          // An unconfirmed email subscription expires after three days: it is still pending as far as we know.
          if (error instanceof NotFoundException) return subscription;
          throw error;
        }
      }),
    );
  }

  async unsubscribe(contact: Contact): Promise<void> {
    for (const subscription of contact.subscriptions) {
      if (subscription.arn?.startsWith('arn:')) {
        await this.#client.send(new UnsubscribeCommand({ SubscriptionArn: subscription.arn }));
      }
    }
  }
}
