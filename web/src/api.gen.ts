// Generated from the API's OpenAPI document by web/tools/openapi-types.ts (`npm run web:api-types`).
// Do not edit: the browser test fails when this file and the served document differ.

export interface Paths {
  '/health': {
    get: {
      path: never;
      query: never;
      body: never;
      response: {
        status: 'ok';
        temporal: 'ok' | 'down';
        database: 'ok' | 'down';
      };
    };
  };
  '/v1/contacts': {
    post: {
      path: never;
      query: never;
      body: {
        email: string;
        firstName?: string | null;
        lastName?: string | null;
      };
      response: {
        id: string;
        email: string;
        firstName: string | null;
        lastName: string | null;
        status: 'active' | 'incorrect' | 'unsubscribed';
        incorrectReason: string | null;
        incorrectSince: string | null;
        groupIds: string[];
        createdAt: string;
      };
    };
    get: {
      path: never;
      query: {
        status?: 'active' | 'incorrect' | 'unsubscribed';
        search?: string;
        limit?: number;
        cursor?: string;
        order?: 'oldest' | 'newest';
      };
      body: never;
      response: {
        items: Array<{
          id: string;
          email: string;
          firstName: string | null;
          lastName: string | null;
          status: 'active' | 'incorrect' | 'unsubscribed';
          incorrectReason: string | null;
          incorrectSince: string | null;
          groupIds: string[];
          createdAt: string;
        }>;
        nextCursor: string | null;
      };
    };
  };
  '/v1/contacts/{id}': {
    get: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        id: string;
        email: string;
        firstName: string | null;
        lastName: string | null;
        status: 'active' | 'incorrect' | 'unsubscribed';
        incorrectReason: string | null;
        incorrectSince: string | null;
        groupIds: string[];
        createdAt: string;
      };
    };
    patch: {
      path: {
        id: string;
      };
      query: never;
      body: {
        email?: string;
        firstName?: string | null;
        lastName?: string | null;
        status?: 'active';
      };
      response: {
        id: string;
        email: string;
        firstName: string | null;
        lastName: string | null;
        status: 'active' | 'incorrect' | 'unsubscribed';
        incorrectReason: string | null;
        incorrectSince: string | null;
        groupIds: string[];
        createdAt: string;
      };
    };
  };
  '/v1/contacts/import': {
    post: {
      path: never;
      query: never;
      body: {
        contacts: unknown[];
        groupId?: string | number;
      };
      response: {
        created: number;
        existing: number;
        invalid: Array<{
          index: number;
          email: string | null;
          message: string;
        }>;
      };
    };
  };
  '/v1/groups': {
    post: {
      path: never;
      query: never;
      body: {
        name: string;
      };
      response: {
        id: string;
        name: string;
        memberCount: number;
        createdAt: string;
      };
    };
    get: {
      path: never;
      query: {
        limit?: number;
        cursor?: string;
        order?: 'oldest' | 'newest';
      };
      body: never;
      response: {
        items: Array<{
          id: string;
          name: string;
          memberCount: number;
          createdAt: string;
        }>;
        nextCursor: string | null;
      };
    };
  };
  '/v1/groups/{id}': {
    get: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        id: string;
        name: string;
        memberCount: number;
        createdAt: string;
      };
    };
  };
  '/v1/groups/{id}/members': {
    get: {
      path: {
        id: string;
      };
      query: {
        limit?: number;
        cursor?: string;
        order?: 'oldest' | 'newest';
      };
      body: never;
      response: {
        items: Array<{
          id: string;
          email: string;
          firstName: string | null;
          lastName: string | null;
          status: 'active' | 'incorrect' | 'unsubscribed';
          incorrectReason: string | null;
          incorrectSince: string | null;
          groupIds: string[];
          createdAt: string;
        }>;
        nextCursor: string | null;
      };
    };
    post: {
      path: {
        id: string;
      };
      query: never;
      body: {
        contactIds: Array<string | number>;
      };
      response: {
        added: number;
        alreadyMembers: number;
      };
    };
  };
  '/v1/groups/{id}/members/{contactId}': {
    delete: {
      path: {
        id: string;
        contactId: string;
      };
      query: never;
      body: never;
      response: void;
    };
  };
  '/v1/mailings': {
    post: {
      path: never;
      query: never;
      body: {
        name: string;
        fromEmail: string;
        fromName?: string | null;
        subject: string;
        text?: string;
        html?: string;
        groupIds: Array<string | number>;
      };
      response: {
        id: string;
        name: string;
        fromEmail: string;
        fromName: string | null;
        subject: string;
        text: string | null;
        html: string | null;
        groupIds: string[];
        status: 'draft' | 'sending' | 'done';
        recipients: number | null;
        deliveriesStarted: number;
        deliveriesEnded: number;
        workflowId: string | null;
        createdAt: string;
        sentAt: string | null;
        doneAt: string | null;
      };
    };
    get: {
      path: never;
      query: {
        limit?: number;
        cursor?: string;
        order?: 'oldest' | 'newest';
      };
      body: never;
      response: {
        items: Array<{
          id: string;
          name: string;
          fromEmail: string;
          fromName: string | null;
          subject: string;
          text: string | null;
          html: string | null;
          groupIds: string[];
          status: 'draft' | 'sending' | 'done';
          recipients: number | null;
          deliveriesStarted: number;
          deliveriesEnded: number;
          workflowId: string | null;
          createdAt: string;
          sentAt: string | null;
          doneAt: string | null;
        }>;
        nextCursor: string | null;
      };
    };
  };
  '/v1/mailings/{id}': {
    get: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        id: string;
        name: string;
        fromEmail: string;
        fromName: string | null;
        subject: string;
        text: string | null;
        html: string | null;
        groupIds: string[];
        status: 'draft' | 'sending' | 'done';
        recipients: number | null;
        deliveriesStarted: number;
        deliveriesEnded: number;
        workflowId: string | null;
        createdAt: string;
        sentAt: string | null;
        doneAt: string | null;
      };
    };
  };
  '/v1/mailings/{id}/send': {
    post: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        id: string;
        status: 'sending';
      };
    };
  };
  '/v1/mailings/{id}/stats': {
    get: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        total: number;
        delivered: number;
        incorrectAddresses: number;
        technicalProblems: number;
        inProgress: number;
        retrying: number;
        complaints: number;
        unsubscribed: number;
        byReason: {
          [key: string]: number;
        };
      };
    };
  };
  '/v1/mailings/{id}/recipients': {
    get: {
      path: {
        id: string;
      };
      query: {
        status?: 'delivered' | 'incorrect_address' | 'technical_problem' | 'in_progress';
        limit?: number;
        cursor?: string;
        order?: 'oldest' | 'newest';
      };
      body: never;
      response: {
        items: Array<{
          deliveryId: string;
          contactId: string;
          email: string;
          status: 'delivered' | 'incorrect_address' | 'technical_problem' | 'in_progress';
          category: string | null;
          reason: string | null;
          attempts: number;
          lastReply: string | null;
          lastAttemptAt: string | null;
          nextAttemptAt: string | null;
          contactIncorrect: boolean;
          workflowId: string;
        }>;
        nextCursor: string | null;
      };
    };
  };
  '/v1/mailings/{id}/technical-problems/add-to-group': {
    post: {
      path: {
        id: string;
      };
      query: never;
      body: {
        groupId?: string | number;
        newGroup?: {
          name: string;
        };
      };
      response: {
        added: number;
        alreadyMembers: number;
        groupId: string;
      };
    };
  };
  '/v1/sending-domains': {
    post: {
      path: never;
      query: never;
      body: {
        domain: string;
      };
      response: {
        id: string;
        domain: string;
        verified: boolean;
        verifiedAt: string | null;
        lastCheckedAt: string | null;
        dnsRecords: Array<{
          type: 'TXT';
          name: string;
          value: string;
          purpose: 'verification' | 'dkim' | 'spf' | 'dmarc';
          required: boolean;
          status?: 'ok' | 'missing' | 'wrong' | 'unknown';
          problem?: string | null;
        }>;
        createdAt: string;
      };
    };
    get: {
      path: never;
      query: {
        limit?: number;
        cursor?: string;
        order?: 'oldest' | 'newest';
      };
      body: never;
      response: {
        items: Array<{
          id: string;
          domain: string;
          verified: boolean;
          verifiedAt: string | null;
          lastCheckedAt: string | null;
          dnsRecords: Array<{
            type: 'TXT';
            name: string;
            value: string;
            purpose: 'verification' | 'dkim' | 'spf' | 'dmarc';
            required: boolean;
            status?: 'ok' | 'missing' | 'wrong' | 'unknown';
            problem?: string | null;
          }>;
          createdAt: string;
        }>;
        nextCursor: string | null;
      };
    };
  };
  '/v1/sending-domains/{id}': {
    get: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        id: string;
        domain: string;
        verified: boolean;
        verifiedAt: string | null;
        lastCheckedAt: string | null;
        dnsRecords: Array<{
          type: 'TXT';
          name: string;
          value: string;
          purpose: 'verification' | 'dkim' | 'spf' | 'dmarc';
          required: boolean;
          status?: 'ok' | 'missing' | 'wrong' | 'unknown';
          problem?: string | null;
        }>;
        createdAt: string;
      };
    };
    delete: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: void;
    };
  };
  '/v1/sending-domains/{id}/verify': {
    post: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        id: string;
        domain: string;
        verified: boolean;
        verifiedAt: string | null;
        lastCheckedAt: string | null;
        dnsRecords: Array<{
          type: 'TXT';
          name: string;
          value: string;
          purpose: 'verification' | 'dkim' | 'spf' | 'dmarc';
          required: boolean;
          status?: 'ok' | 'missing' | 'wrong' | 'unknown';
          problem?: string | null;
        }>;
        createdAt: string;
      };
    };
  };
  '/v1/deliveries/{id}': {
    get: {
      path: {
        id: string;
      };
      query: never;
      body: never;
      response: {
        id: string;
        mailingId: string;
        contactId: string;
        email: string;
        status: 'delivered' | 'incorrect_address' | 'technical_problem' | 'in_progress';
        category: string | null;
        reason: string | null;
        nextAttemptAt: string | null;
        attempts: Array<{
          n: number;
          at: string;
          reply: string | null;
          code: number | null;
          enhancedCode: string | null;
          category: string;
          reason: string;
          mx: string | null;
          phase: string | null;
          durationMs: number | null;
          late?: true;
        }>;
        workflowId: string;
        temporalUiUrl: string;
      };
    };
  };
  '/v1/openapi.json': {
    get: {
      path: never;
      query: never;
      body: never;
      response: {
        openapi: string;
        paths: {
          [key: string]: unknown;
        };
        [key: string]: unknown;
      };
    };
  };
}
