#!/bin/sh
echo building t/empty_yaml
